"""Login state without third-party cookies: LTI Platform Storage (``lti_storage_target``)."""

from __future__ import annotations

import re

from tests.lti_platform import session_token


def storage_login(client, platform):
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "client_id": platform.client_id, "login_hint": "user-1",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch", "lti_storage_target": "_parent",
    })
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "lti.put_data" in html
    state = re.search(r'var state = "([^"]+)"', html).group(1)
    nonce = re.search(r'nonce = "([^"]+)"', html).group(1)
    return state, nonce


def test_launch_without_cookie_asks_platform_storage_then_succeeds(app, client, platform):
    state, nonce = storage_login(client, platform)
    token = platform.sign(platform.claims(nonce))
    cookieless = app.test_client(use_cookies=False)
    check = cookieless.post("/lti/launch", data={"id_token": token, "state": state})
    assert check.status_code == 200
    html = check.get_data(as_text=True)
    assert "lti.get_data" in html and platform.issuer in html  # only the platform may answer
    # The page read the state from the platform and posts again with it.
    final = cookieless.post(
        "/lti/launch", data={"id_token": token, "state": state, "lti_storage_state": state}
    )
    assert final.status_code == 200
    assert session_token(final.get_data(as_text=True))


def test_storage_proof_must_match_the_state(app, client, platform):
    state, nonce = storage_login(client, platform)
    token = platform.sign(platform.claims(nonce))
    cookieless = app.test_client(use_cookies=False)
    response = cookieless.post(
        "/lti/launch", data={"id_token": token, "state": state, "lti_storage_state": "wrong"}
    )
    # Not proven: the page asks the platform again instead of launching.
    assert "lti.get_data" in response.get_data(as_text=True)
    assert 'name="ritmo-session"' not in response.get_data(as_text=True)


def test_storage_proof_is_refused_when_login_used_a_cookie(app, client, platform):
    from tests.lti_platform import start_login

    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"]))
    cookieless = app.test_client(use_cookies=False)
    response = cookieless.post(
        "/lti/launch",
        data={"id_token": token, "state": auth["state"], "lti_storage_state": auth["state"]},
    )
    assert response.status_code == 400


def test_storage_pages_speak_the_browsers_language(app, client, platform):
    """No launch yet, so the browser's language decides; the script's messages come translated."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "it-IT,it;q=0.9"
    state, nonce = storage_login(client, platform)
    login_page = client.get("/lti/login", query_string={
        "iss": platform.issuer, "client_id": platform.client_id, "login_hint": "user-1",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch", "lti_storage_target": "_parent",
    }).get_data(as_text=True)
    assert '<html lang="it">' in login_page and "Apertura di Ritmo…" in login_page
    assert "La tua piattaforma non ha risposto" in login_page and "Your LMS did not answer" not in login_page
    token = platform.sign(platform.claims(nonce))
    cookieless = app.test_client(use_cookies=False)
    check = cookieless.post(
        "/lti/launch", data={"id_token": token, "state": state}, headers={"Accept-Language": "it"}
    ).get_data(as_text=True)
    assert '<html lang="it">' in check and "verificare questo avvio" in check  # in JSON
    english = app.test_client().get("/lti/login", query_string={
        "iss": platform.issuer, "client_id": platform.client_id, "login_hint": "user-1",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch", "lti_storage_target": "_parent",
    }).get_data(as_text=True)
    assert '<html lang="en">' in english and "Your LMS did not answer" in english
