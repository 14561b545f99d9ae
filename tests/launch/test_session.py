"""The in-frame session token: carried without cookies, bound to the launch, short-lived."""

from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

from tests.lti_platform import launch, session_token


def test_token_works_as_header_and_form_field(client, platform):
    token = session_token(launch(client, platform).get_data(as_text=True))
    fresh = client.application.test_client(use_cookies=False)
    assert fresh.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # Never in a URL: see test_session_handoff.py.
    page = fresh.post("/programme", data={"ritmo_session": token})
    assert page.status_code == 200 and "Mentoring 101" in page.get_data(as_text=True)


def test_no_token_is_401_with_a_helpful_message(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert "Open Ritmo again from your course" in response.get_json()["detail"]
    page = client.get("/programme")
    assert page.status_code == 401 and "text/html" in page.content_type


def test_tampered_token_is_rejected(client, platform):
    token = session_token(launch(client, platform).get_data(as_text=True))
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_token_signed_with_another_secret_is_rejected(client, platform):
    forged = URLSafeTimedSerializer("guess", salt="ritmo-session-v1").dumps(
        {"p": 1, "u": 1, "c": 1, "r": "coordinator"}
    )
    assert client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_token_expires(client, platform, app):
    token = session_token(launch(client, platform).get_data(as_text=True))
    app.config["SESSION_TOKEN_TTL_SECONDS"] = -1
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.get_json()["detail"]


def test_launch_sets_no_session_cookie(client, platform):
    response = launch(client, platform)
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if "session" in c.lower()]
