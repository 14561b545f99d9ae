"""Addresses stored from input: only http(s) with a real host, on every endpoint that keeps one;
a refused address answers 422 naming the field and changes nothing; an address stored before the
check existed is never rendered as a live link."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.content.models import ContentItem, ItemKind
from lti_tool.mentoring.conversations.models import Post
from lti_tool.mentoring.meetings.models import Meeting
from lti_tool.mentoring.webinars.models import Webinar
from tests.mentoring.conversations import factories as spaces
from tests.mentoring.webinars.factory import api, make_world

BAD_URLS = [
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "https://zoom.us@evil.example/j/1",
    "https://youtube.com\\@evil.example/",
    "https:///nohost",
    "https://evil.example:99999/",
    "https://ev il.example/",
    "https://\u202eelpmaxe.live/",
    "https://example.org/" + "a" * 1100,
]


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def module(client, world):
    response = api(client, world.people["coach"], "POST", "/api/content/modules", json={"title": "Links"})
    assert response.status_code == 201
    return response.get_json()


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("url", BAD_URLS)
def test_content_links_and_videos_refuse_other_schemes(client, world, module, url):
    coach = world.people["coach"]
    for kind in ("link", "video"):
        response = api(
            client, coach, "POST", "/api/content/items",
            json={"module_id": module["id"], "kind": kind, "title": "x", "url": url},
        )
        assert response.status_code == 422, (kind, url)
        assert "url" in response.get_json()["errors"], (kind, url)
    assert _count(ContentItem) == 0


def test_content_link_refused_from_the_form_and_on_edit(client, world, module):
    coach = world.people["coach"]
    form = client.post(
        "/content/items",
        headers={"Authorization": f"Bearer {coach.token}"},
        data={"module_id": str(module["id"]), "kind": "link", "title": "x", "url": "javascript:alert(1)"},
    )
    assert form.status_code == 422 and "text/html" in form.content_type
    assert _count(ContentItem) == 0
    good = api(
        client, coach, "POST", "/api/content/items",
        json={"module_id": module["id"], "kind": "link", "title": "Guide", "url": "https://example.org/guide"},
    )
    assert good.status_code == 201, good.get_json()
    path = f"/api/content/items/{good.get_json()['id']}"
    for url in ("javascript:alert(1)", "data:text/html,x", "https://a@b.example/"):
        assert api(client, coach, "PATCH", path, json={"url": url}).status_code == 422
    assert db.session.get(ContentItem, good.get_json()["id"]).url == "https://example.org/guide"


def _webinar_body(**extra):
    start = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    return {"title": "Kick-off", "starts_at": start, "timezone": "UTC", "duration_minutes": 30, **extra}


@pytest.mark.parametrize("url", BAD_URLS[:10])
def test_webinar_addresses_refuse_other_schemes(client, world, url):
    coach = world.people["coach"]
    response = api(client, coach, "POST", "/api/webinars", json=_webinar_body(join_url=url))
    assert response.status_code == 422 and "join_url" in response.get_json()["errors"], url
    assert _count(Webinar) == 0
    created = api(client, coach, "POST", "/api/webinars", json=_webinar_body())
    webinar_id = created.get_json()["webinars"][0]["id"]
    for field in ("recording_url", "slides_url", "join_url"):
        response = api(client, coach, "PATCH", f"/api/webinars/{webinar_id}", json={field: url})
        assert response.status_code == 422 and field in response.get_json()["errors"], (field, url)
    webinar = db.session.get(Webinar, webinar_id)
    assert webinar.recording_url is None and webinar.slides_url is None
    assert webinar.join_url.startswith("https://")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "https://a@zoom.us/j/1"])
def test_meeting_video_and_post_links_refuse_other_schemes(client, app, url):
    w = spaces.make_world()
    response = client.post(
        f"/api/matches/{w.match.id}/meetings",
        headers=w.headers(w.mentor),
        json={"title": "First", "times": [(utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")],
              "timezone": "Europe/Rome", "video_url": url},
    )
    assert response.status_code == 422 and "video_url" in response.get_json()["errors"]
    assert _count(Meeting) == 0
    response = client.post(
        f"/api/matches/{w.match.id}/threads",
        headers=w.headers(w.mentor),
        json={"title": "Links", "body": "see", "links": [{"url": url, "title": "x"}]},
    )
    assert response.status_code == 422 and "links" in response.get_json()["errors"]
    assert _count(Post) == 0


def test_addresses_stored_before_the_check_are_not_live_links(client, world, module):
    coach, mara = world.people["coach"], world.people["mara"]
    item = ContentItem(
        programme_id=world.programme.id, module_id=module["id"], kind=ItemKind.LINK, title="Old",
        url="javascript:alert(document.domain)",
    )
    db.session.add(item)
    db.session.commit()
    page = client.get(f"/content/items/{item.id}", headers={"Authorization": f"Bearer {mara.token}"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "javascript:alert" in html  # shown as text ...
    assert 'href="javascript:' not in html.replace("&#34;", '"')  # ... never as a link
    created = api(client, coach, "POST", "/api/webinars", json=_webinar_body())
    webinar = db.session.get(Webinar, created.get_json()["webinars"][0]["id"])
    webinar.recording_url, webinar.slides_url = "javascript:alert(1)", "data:text/html,x"
    webinar.starts_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    html = client.get(f"/webinars/{webinar.id}", headers={"Authorization": f"Bearer {coach.token}"}).get_data(
        as_text=True
    )
    assert 'href="javascript:' not in html and 'href="data:' not in html


def test_a_stored_room_address_that_is_not_http_is_never_a_redirect(client, world):
    coach, nina = world.people["coach"], world.people["nina"]
    created = api(client, coach, "POST", "/api/webinars", json=_webinar_body())
    webinar = db.session.get(Webinar, created.get_json()["webinars"][0]["id"])
    webinar.join_url = "javascript:alert(document.cookie)"
    webinar.starts_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    for person in (coach, nina):
        headers = {"Authorization": f"Bearer {person.token}"}
        response = client.get(f"/webinars/{webinar.id}/join", headers=headers)
        assert response.status_code == 409 and "Location" not in response.headers
