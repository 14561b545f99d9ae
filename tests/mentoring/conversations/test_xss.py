"""Script injection in every place a person types: stored HTML, pages and e-mails stay inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.conversations.models import ChatMessage, Post
from lti_tool.text import extract_mentions, render_markdown
from tests.mentoring.conversations.factories import World
from tests.session_codes import rh

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "<svg onload=alert(1)><circle r=10 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{background:url('javascript:alert(1)')}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<base href="javascript:alert(1)//">',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '[ok](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "[ok](<javascript:alert(1)>)",
    '<https://ok.example/"onmouseover="alert(1)>',
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<!--<script>alert(1)</script>-->",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '"><script>alert(1)</script>',
    "'';!--\"<XSS>=&{()}",
    "[a](https://ok.example)<img src=x:x onerror=alert(1)>",
]

ALLOWED_SCHEMES = ("http:", "https:", "mailto:", "/", "#", "?")
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "form",
    "meta",
    "link",
    "base",
    "input",
    "img",
    "video",
    "audio",
    "source",
    "details",
    "body",
}


class Inspector(HTMLParser):
    """Collects the real elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def inspect(html: str) -> Inspector:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def assert_inert(html: str, *, page: bool = False) -> None:
    found = inspect(html)
    ours = {"script", "form", "body", "meta", "link", "input", "style", "details"}
    tags = set(found.tags) - (ours if page else set())
    if page:
        assert found.tags.count("style") <= 1  # the page's own stylesheet only
        assert found.tags.count("link") <= 1
    assert not tags & FORBIDDEN_TAGS, (tags & FORBIDDEN_TAGS, html[:500])
    for tag, name, value in found.attributes:
        assert not name.startswith("on"), (tag, name, value)
        assert name != "style" or page, (tag, name, value)
        if name in ("href", "src", "action", "data", "formaction"):
            cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
            assert cleaned.startswith(ALLOWED_SCHEMES) or cleaned == "", (tag, name, value)
    if page:
        for tag, name, value in found.attributes:
            if tag == "script" and name == "src":
                assert value == "/static/ritmo.js", value
        for script in found.scripts:
            assert "alert(" not in script


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_markdown_makes_payloads_inert(payload: str) -> None:
    assert_inert(render_markdown(payload))


def test_safe_markdown_survives() -> None:
    html = render_markdown("**bold** [site](https://ok.example) <b>raw</b>")
    assert "<strong>bold</strong>" in html
    assert 'href="https://ok.example"' in html and 'rel="nofollow noopener noreferrer"' in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html


def test_mentions_are_extracted_but_not_from_addresses() -> None:
    assert extract_mentions("hi @Ada, @bob.smith. mail ada@example.org and @ada again") == [
        "ada",
        "bob.smith",
    ]


def test_payloads_posted_everywhere_are_stored_and_served_inert(client, world: World) -> None:
    h = world.headers(world.mentor)
    thread = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=h,
        json={"title": "<script>alert('title')</script>", "body": "start"},
    ).get_json()
    for payload in PAYLOADS:
        assert (
            client.post(f"/api/threads/{thread['id']}/posts", headers=h, json={"body": payload}).status_code
            == 201
        )
        assert (
            client.post(f"/api/matches/{world.match.id}/chat", headers=h, json={"body": payload}).status_code
            == 201
        )
    for html in db.session.execute(sa.select(Post.body_html)).scalars():
        assert_inert(html)
    for html in db.session.execute(sa.select(ChatMessage.body_html)).scalars():
        assert_inert(html)
    # The pages that show them: thread, space (chat), history, export.
    token = world.token(world.mentee)
    pages = [
        f"/threads/{thread['id']}?rh={rh(token)}",
        f"/matches/{world.match.id}/space?rh={rh(token)}",
        f"/matches/{world.match.id}/history?rh={rh(token)}&limit=200",
        f"/matches/{world.match.id}/history/export.html?rh={rh(token)}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), page=True)


def test_json_api_returns_the_stored_safe_html(client, world: World) -> None:
    h = world.headers(world.mentor)
    client.post(
        f"/api/matches/{world.match.id}/chat", headers=h, json={"body": "<img src=x onerror=alert(1)>"}
    )
    body = client.get(f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentee)).get_json()
    assert body["messages"][0]["html"] == "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"
