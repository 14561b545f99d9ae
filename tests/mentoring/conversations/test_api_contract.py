"""The relationship space's API answers what its operations declare, and refuses bad cursors with 422."""

from __future__ import annotations

import base64

import pytest

from tests.mentoring.conversations.contract import call
from tests.mentoring.conversations.factories import World


def test_a_walk_through_the_space_answers_as_declared(client, world: World) -> None:
    m, h, coordinator = world.match.id, world.headers(world.mentor), world.headers(world.coordinator)
    call(client, "GET", "/api/spaces", headers=h)
    thread = call(
        client,
        "POST",
        f"/api/matches/{m}/threads",
        headers=h,
        json={"title": "Goals", "body": "Hello @ben", "links": [{"url": "https://example.org/a"}]},
    ).get_json()
    forum_thread = call(
        client, "POST", "/api/forum/threads", headers=h, json={"title": "Tips", "body": "Share yours"}
    ).get_json()
    assert forum_thread["match_id"] is None
    post = call(
        client,
        "POST",
        f"/api/threads/{thread['id']}/posts",
        headers=world.headers(world.mentee),
        json={"body": "Hi"},
    ).get_json()
    call(
        client, "PATCH", f"/api/posts/{post['id']}", headers=world.headers(world.mentee), json={"body": "Hi!"}
    )
    call(client, "GET", f"/api/posts/{post['id']}/revisions", headers=h)
    deleted = call(client, "DELETE", f"/api/posts/{post['id']}", headers=coordinator).get_json()
    assert deleted["deleted"] is True and deleted["body"] is None and deleted["deleted_by"]["name"]
    page = call(client, "GET", f"/api/threads/{thread['id']}", headers=h).get_json()
    assert [p["id"] for p in page["posts"]][-1] == post["id"]
    space = call(client, "GET", f"/api/matches/{m}/space", headers=h).get_json()
    forum = call(client, "GET", "/api/forum", headers=h).get_json()
    assert "chat" in space and "chat" not in forum and "members" not in forum

    message = call(client, "POST", f"/api/matches/{m}/chat", headers=h, json={"body": "See you"}).get_json()
    polled = call(client, "GET", f"/api/matches/{m}/chat", headers=h)
    assert [x["id"] for x in polled.get_json()["messages"]] == [message["id"]]
    etag = polled.headers["ETag"]
    unchanged = call(client, "GET", f"/api/matches/{m}/chat", headers={**h, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
    older = call(client, "GET", f"/api/matches/{m}/chat/older?before={message['id'] + 1}", headers=h)
    assert [x["id"] for x in older.get_json()["messages"]] == [message["id"]]
    call(client, "DELETE", f"/api/chat/{message['id']}", headers=h)
    changes = call(
        client, "GET", f"/api/matches/{m}/chat?since={polled.get_json()['cursor']}", headers=h
    ).get_json()
    assert changes["deleted"] == [message["id"]]

    history = call(
        client, "GET", f"/api/matches/{m}/history?kind=post&kind=chat&limit=1", headers=h
    ).get_json()
    assert len(history["entries"]) == 1 and history["next_cursor"]
    call(client, "GET", f"/api/matches/{m}/history?limit=1&cursor={history['next_cursor']}", headers=h)
    export = call(client, "GET", f"/api/matches/{m}/history/export.json", headers=h)
    assert export.headers["Content-Disposition"].startswith("attachment;")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        "/api/matches/{m}/space?cursor=2026-01-01T00:00:00%2B00:00_99999999999999999999",
        "/api/matches/{m}/space?cursor=2026-01-01T00:00:00%2B00:00_%C2%B2",
        "/api/matches/{m}/chat?since=99999999999999999999-0",
        "/api/matches/{m}/chat?since=%C2%B2-0",
        "/api/matches/{m}/chat/older?before=99999999999999999999",
        "/api/threads/{t}?after=99999999999999999999",
        "/api/threads/{t}?after=x",
        # The calendar's first and last hours, in zones where they have no UTC time.
        "/api/matches/{m}/history?since=0001-01-01T00:00:00%2B14:00",
        "/api/matches/{m}/history?until=9999-12-31T23:59:59-14:00",
        "/api/matches/{m}/history?cursor=" + _b64("0001-01-01T00:00:00+14:00|post:1"),
        "/api/matches/{m}/space?cursor=9999-12-31T23:59:59-14:00_1",
    ],
)
def test_cursors_out_of_range_are_refused_with_422(client, world: World, query: str) -> None:
    h = world.headers(world.mentor)
    thread = client.post(
        f"/api/matches/{world.match.id}/threads", headers=h, json={"title": "T", "body": "B"}
    ).get_json()
    response = client.get(query.format(m=world.match.id, t=thread["id"]), headers=h)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("key", ["post:²", "post:99999999999999999999"])
def test_a_history_cursor_with_a_strange_key_pages_without_failing(client, world: World, key: str) -> None:
    """The key's id is only a tie-breaker: one that is not a small ASCII number breaks no tie."""
    h = world.headers(world.mentor)
    client.post(f"/api/matches/{world.match.id}/threads", headers=h, json={"title": "T", "body": "B"})
    cursor = _b64(f"2999-01-01T00:00:00+00:00|{key}")
    response = call(client, "GET", f"/api/matches/{world.match.id}/history?cursor={cursor}", headers=h)
    assert response.status_code == 200
    assert "post" in [e["kind"] for e in response.get_json()["entries"]]


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("POST", "/api/matches/{m}/threads", {"title": "T\x00", "body": "B"}, "title"),
        ("POST", "/api/matches/{m}/threads", {"title": "T", "body": "B\x00"}, "body"),
        ("POST", "/api/matches/{m}/chat", {"body": "\x00"}, "body"),
        ("GET", "/api/matches/{m}/history?q=a%00", None, "q"),
    ],
)
def test_text_with_a_nul_character_is_422_naming_the_field(
    client, world: World, method: str, path: str, payload: dict | None, field: str
) -> None:
    """PostgreSQL cannot store (or search for) U+0000: it is refused at the boundary, on every database."""
    response = client.open(
        path.format(m=world.match.id), method=method, headers=world.headers(world.mentor), json=payload
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]
