"""The launch's locale claim picks the language."""

from __future__ import annotations

from tests.lti_platform import launch


def test_italian_launch_is_in_italian(client, platform):
    html = launch(client, platform, locale="it-IT").get_data(as_text=True)
    assert 'lang="it"' in html
    assert "Ti diamo il benvenuto" in html and "Welcome" not in html


def test_english_launch_is_in_english(client, platform):
    html = launch(client, platform, locale="en-GB").get_data(as_text=True)
    assert 'lang="en"' in html and "Welcome" in html


def test_unknown_locale_falls_back_to_english(client, platform):
    html = launch(client, platform, locale="xx").get_data(as_text=True)
    assert "Welcome" in html


def test_errors_are_translated_too(client):
    response = client.get("/api/me", headers={"Accept-Language": "it"})
    assert response.get_json()["title"] == "Sessione scaduta"
