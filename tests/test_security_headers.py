"""Security headers: who may frame Ritmo, which scripts may run, and HTTPS once served over HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.launch.models import Platform, PlatformStatus
from tests.launch import conftest as launch_fixtures
from tests.lti_platform import launch

platform, platform_server = launch_fixtures.platform, launch_fixtures.platform_server  # fixtures

TEMPLATES = [Path("lti_tool/templates"), Path("lti_tool/demo/templates")]


def _platform(issuer: str, login: str, status: PlatformStatus = PlatformStatus.ACTIVE) -> Platform:
    row = Platform(issuer=issuer, client_id=f"c-{issuer}", auth_login_url=login, auth_token_url=login,
                   key_set_url=login, status=status)
    db.session.add(row)
    db.session.commit()
    return row


def directive(response, name: str) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    found = [part.split() for part in policy.split(";") if part.split()[:1] == [name]]
    assert len(found) == 1, policy
    return found[0][1:]


def test_only_active_platforms_may_frame_ritmo(client):
    _platform("https://moodle.example.edu", "https://moodle.example.edu/mod/lti/auth.php")
    # Canvas: the issuer is shared by every school; the login runs on another host.
    _platform("https://canvas.instructure.com", "https://sso.canvaslms.com/api/lti/authorize_redirect")
    _platform("https://LMS.example.org:8443/moodle", "https://lms.example.org:443/auth")
    _platform("https://pending.example.org", "https://pending.example.org/auth", PlatformStatus.PENDING)
    _platform("https://off.example.org", "https://off.example.org/auth", PlatformStatus.DISABLED)
    assert sorted(directive(client.get("/health"), "frame-ancestors")) == sorted([
        "'self'", "https://moodle.example.edu", "https://canvas.instructure.com",
        "https://sso.canvaslms.com", "https://lms.example.org:8443", "https://lms.example.org",
    ])


def test_a_platform_url_cannot_write_into_the_policy(client):
    _platform("https://evil.example; script-src *", "https://a.example/x 'unsafe-inline'")
    _platform("https://user:pw@b.example/x", "javascript:alert(1)")
    policy = client.get("/health").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src *" not in policy and "javascript" not in policy
    assert "user" not in policy
    assert sorted(directive(client.get("/health"), "frame-ancestors")) == [
        "'self'", "https://a.example", "https://b.example",
    ]


def test_extra_origins_from_the_settings(app: Flask, client):
    app.config["FRAME_ANCESTORS_EXTRA"] = ["https://*.instructure.com", "https://School.example.edu:443/"]
    create_app({**app.config})  # accepted as it is written, and written as an origin in the policy
    assert sorted(directive(client.get("/health"), "frame-ancestors")) == [
        "'self'", "https://*.instructure.com", "https://school.example.edu",
    ]


@pytest.mark.parametrize(
    "bad", ["*", "https://a.example/path", "javascript:x", "https://a b", "'unsafe-inline'", "https://u@a.example",
            "https://a.example?x", "ftp://a.example", "https://*"]
)
def test_a_bad_extra_origin_stops_the_app_with_a_clear_message(app, bad):
    with pytest.raises(ValueError, match="FRAME_ANCESTORS_EXTRA"):
        create_app({**app.config, "FRAME_ANCESTORS_EXTRA": [bad]})


def test_platform_changes_reach_the_policy(app: Flask, client):
    app.config["REGISTRY_CACHE_SECONDS"] = 3600
    assert directive(client.get("/health"), "frame-ancestors") == ["'self'"]
    row = _platform("https://moodle.example.edu", "https://moodle.example.edu/auth")
    assert "https://moodle.example.edu" in directive(client.get("/health"), "frame-ancestors")
    row.status = PlatformStatus.DISABLED
    db.session.commit()
    assert directive(client.get("/health"), "frame-ancestors") == ["'self'"]
    # Another process's change (here: straight SQL) arrives when the short memo expires.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Platform).values(status=PlatformStatus.ACTIVE.value))
    assert directive(client.get("/health"), "frame-ancestors") == ["'self'"]
    app.config["REGISTRY_CACHE_SECONDS"] = 0
    assert "https://moodle.example.edu" in directive(client.get("/health"), "frame-ancestors")


def test_scripts_run_from_files_or_with_this_requests_nonce(client, platform):
    first = launch(client, platform)
    second = client.get("/api/me")
    nonces = []
    for response in (first, second):
        sources = directive(response, "script-src")
        assert "'unsafe-inline'" not in sources and "*" not in sources
        nonce = [s for s in sources if s.startswith("'nonce-")]
        assert len(nonce) == 1
        nonces.append(nonce[0])
        assert "'unsafe-inline'" not in directive(response, "style-src")
        assert directive(response, "object-src") == ["'none'"]
        assert directive(response, "base-uri") == ["'none'"]
    assert nonces[0] != nonces[1]
    html = first.get_data(as_text=True)
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonces[0][7:-1]}"' in tag, tag


def _template_files() -> list[Path]:
    mail = {"email.html", "digest.html"}  # read in mail clients, not under the policy
    return [p for root in TEMPLATES for p in root.rglob("*.html") if p.name not in mail]


def test_no_template_has_an_inline_script_without_a_nonce_or_an_event_handler_attribute():
    offenders = []
    for path in _template_files():
        text = path.read_text()
        offenders += [f"{path}: {tag}" for tag in re.findall(r"<(?:script|style)\b[^>]*>", text)
                      if "src=" not in tag and "nonce=" not in tag]
        offenders += [f"{path}: {m}" for m in re.findall(r"<[^>]*\son[a-z]+\s*=[^>]*>", text)]
        offenders += [f"{path}: {m}" for m in re.findall(r"<[^>]*\sstyle\s*=[^>]*>", text)]
    assert offenders == []


def test_hsts_only_when_served_over_https(app: Flask, client):
    assert "Strict-Transport-Security" not in client.get("/health").headers
    app.config["BASE_URL"] = "https://ritmo.example.edu"
    assert client.get("/health").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_page_kept_per_process_carries_each_requests_nonce(app: Flask):
    from jinja2 import ChoiceLoader, DictLoader

    from lti_tool.fragments import page
    from lti_tool.headers import csp_nonce

    kept = DictLoader({"kept.html": '<script nonce="{{ csp_nonce() }}">go()</script>'})
    app.jinja_env.loader = ChoiceLoader([kept, app.jinja_env.loader])  # type: ignore[list-item]
    seen = []
    for _ in range(2):
        with app.test_request_context("/"):
            g.pop("csp_nonce", None)  # what each request starts with (hooks.forget_previous_session)
            html = page("kept.html", {})
            assert html == f'<script nonce="{csp_nonce()}">go()</script>'
            seen.append(html)
    assert seen[0] != seen[1]
