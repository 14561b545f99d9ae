"""Launches that must work in a window of their own, without third-party cookies (issue 19).

Browser runs are in ``tests/browser/test_new_window.py``; these check the server's side of it.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from tests.lti_platform import launch, session_token, start_login

IN_FRAME = {"Sec-Fetch-Dest": "iframe"}


def _relay_fields(html: str) -> dict[str, str]:
    return {n: unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', html)}


def test_a_window_launch_without_its_lax_cookie_is_posted_again_from_ritmo(app, client, platform):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]))
    # The platform's cross-site post left the Lax cookie behind.
    cookieless = app.test_client(use_cookies=False)
    relay = cookieless.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    html = relay.get_data(as_text=True)
    assert relay.status_code == 200 and 'id="relay"' in html
    assert relay.headers["Cache-Control"] == "no-store"
    assert 'name="ritmo-session"' not in html
    fields = _relay_fields(html)
    assert fields == {"id_token": token, "state": auth["state"], "ritmo_relayed": "1"}
    # Posted again from Ritmo's page (same-site), the cookie comes: the launch opens, once.
    final = client.post("/lti/launch", data=fields)
    assert final.status_code == 200 and session_token(final.get_data(as_text=True))
    assert client.post("/lti/launch", data=fields).status_code == 400  # the state is spent


def test_a_relayed_launch_without_the_cookie_says_so(app, client, platform):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]))
    cookieless = app.test_client(use_cookies=False)
    response = cookieless.post(
        "/lti/launch", data={"id_token": token, "state": auth["state"], "ritmo_relayed": "1"}
    )
    assert response.status_code == 401
    assert "blocked the cookie" in response.get_data(as_text=True)


def test_a_launch_in_a_frame_is_not_relayed(app, client, platform):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]))
    cookieless = app.test_client(use_cookies=False)
    response = cookieless.post(
        "/lti/launch", data={"id_token": token, "state": auth["state"]}, headers=IN_FRAME
    )
    assert response.status_code == 401


def test_a_relay_with_a_forged_token_opens_nothing(app, client, platform):
    auth = start_login(client, platform)
    forged = platform.sign(platform.claims(auth["nonce"]))[:-4] + "AAAA"
    response = app.test_client(use_cookies=False).post(
        "/lti/launch", data={"id_token": forged, "state": auth["state"]}
    )
    assert response.status_code == 400  # the signature is checked before any relay


def test_a_login_in_a_frame_without_storage_checks_cookies_and_offers_a_window(client, platform):
    query = {
        "iss": platform.issuer,
        "client_id": platform.client_id,
        "login_hint": "user-1",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch",
        "lti_deployment_id": platform.deployment_id,
        "lti_message_hint": "m-1",
    }
    response = client.get("/lti/login", query_string=query, headers=IN_FRAME)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="open-window"' in html
    assert response.headers["Cache-Control"] == "no-store"
    window_url = re.search(r'window.open\("([^"]+)"', html).group(1).replace("\\u0026", "&")
    parts = urlsplit(window_url)
    assert parts.path == "/lti/login"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == query
    # The same login, at top level: straight on to the platform.
    again = client.get(window_url)
    assert again.status_code == 302 and again.headers["Location"].startswith(platform.issuer + "/auth")


def test_the_launched_page_opens_again_for_its_session_only(app, client, platform):
    first = launch(client, platform)
    token = session_token(first.get_data(as_text=True))
    fresh = app.test_client(use_cookies=False)
    assert fresh.get("/lti/launch").status_code == 401
    code = fresh.post("/api/session/handoff", headers={"Authorization": f"Bearer {token}"}).get_json()["code"]
    page = fresh.get("/lti/launch", query_string={"rh": code})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="ritmo-session"' in html
    assert re.search(r"<h1[^>]*>(.*?)</h1>", html).group(1) in first.get_data(as_text=True)
    # The code is spent: the same address opens nothing.
    assert fresh.get("/lti/launch", query_string={"rh": code}).status_code == 401


def test_a_storage_login_the_lms_does_not_answer_can_go_on_in_a_new_window(client, platform):
    query = {
        "iss": platform.issuer,
        "client_id": platform.client_id,
        "login_hint": "user-1",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch",
        "lti_storage_target": "_parent",
    }
    html = client.get("/lti/login", query_string=query).get_data(as_text=True)
    assert 'id="open-window"' in html
    window_url = re.search(r'window.open\("([^"]+)"', html).group(1).replace("\\u0026", "&")
    opened = {k: v[0] for k, v in parse_qs(urlsplit(window_url).query).items()}
    # At top level there is no parent frame to keep the state: the window's login uses a cookie.
    assert opened == {k: v for k, v in query.items() if k != "lti_storage_target"}
    assert client.get(window_url).status_code == 302
