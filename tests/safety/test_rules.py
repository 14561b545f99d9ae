"""The three rules on their own: the cell escape, the address check and the name cleaning."""

from __future__ import annotations

import csv
import io

import pytest

from lti_tool.safety import cells
from lti_tool.safety.names import clean_name, person_html
from lti_tool.safety.urls import UnsafeUrl, safe_href, web_url


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "\n=1", "  =1+1",
     "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20A1", "-1+1+cmd|' /C calc'!A0", '=HYPERLINK("https://evil.example","x")'],
)
def test_text_that_a_spreadsheet_would_run_gets_a_quote_and_comes_back(text):
    assert cells.cell(text) == "'" + text
    assert cells.uncell(cells.cell(text)) == text


@pytest.mark.parametrize("value", ["Ada", "", "1-2", "a=b", "'quoted", "ada@example.test", "O'Neil"])
def test_plain_text_is_left_alone(value):
    assert cells.cell(value) == value and cells.uncell(value) == value


def test_numbers_stay_numbers_and_every_row_goes_through_the_escape():
    out = io.StringIO()
    cells.writer(out).writerows([[4, -2, 1.5, None, True, "=1"]])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["4", "-2", "1.5", "", "true", "'=1"]


@pytest.mark.parametrize(
    "url",
    ["https://example.org", "http://example.org/a?b=c#d", "https://Example.ORG:8443/x", "https://[2001:db8::1]/",
     "https://bücher.example/", "https://192.0.2.1/", " https://example.org/padded "],
)
def test_plain_web_addresses_pass(app, url):
    with app.test_request_context():
        assert web_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>", "vbscript:msgbox", "file:///etc/passwd",
     "ftp://example.org/", "//example.org", "/relative", "https://", "https://user:pw@example.org/",
     "https://example.org@evil.example/", "https://exa mple.org/", "https://example.org/\u200b",
     "https://example.org\\@evil.example", "https://example.org:port/", "https://-bad-.example/",
     "https://" + "a" * 64 + ".example/", "https://example.org/" + "x" * 1024, ""],
)
def test_everything_else_is_refused_with_a_sentence(app, url):
    with app.test_request_context(), pytest.raises(UnsafeUrl) as refused:
        web_url(url)
    assert str(refused.value).endswith(".")


def test_https_only_where_asked(app):
    with app.test_request_context(), pytest.raises(UnsafeUrl, match="https://"):
        web_url("http://example.org/", https_only=True)


def test_the_render_guard_keeps_site_paths_and_web_addresses_only(app):
    with app.test_request_context():
        assert safe_href("/webinars/1") == "/webinars/1"
        assert safe_href("https://example.org/") == "https://example.org/"
        for bad in ("javascript:alert(1)", "//evil.example", "/\\evil.example", "data:x", None, ""):
            assert safe_href(bad) is None, bad


def test_names_lose_bidi_and_invisible_characters_and_are_isolated():
    hidden = "\u202eAda\u202c \u2066Love\u2069lace\u200e\u200f\u061c\u00ad\U000e0041"
    assert clean_name(hidden) == "Ada Lovelace"
    assert clean_name("\u3164") == "" and clean_name("Ada\x00\x1bLovelace") == "Ada Lovelace"
    assert str(person_html("<b>\u202eAda</b>")) == "<bdi>&lt;b&gt;Ada&lt;/b&gt;</bdi>"
    hebrew = "\u05e9\u05e8\u05d4 \u05dc\u05d5\u05d9"
    assert clean_name(hebrew) == hebrew  # right-to-left names themselves are kept
