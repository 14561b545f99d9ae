"""The notifications API answers what its schemas (and so the API document) declare: pages follow
the ``before`` cursor to the end, and a bad cursor or id is refused instead of ignored or failing."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.notifications import schemas, service
from lti_tool.notifications.service import NOTIFICATIONS_PAGE_SIZE
from tests.mentoring.conversations.factories import World
from tests.schema_check import conforms


def test_the_cursor_walks_every_page_once(client, world: World) -> None:
    total = NOTIFICATIONS_PAGE_SIZE + 5
    for n in range(total):
        service.notify(world.mentee.id, "post", f"n{n}", "t", link=f"/threads/{n}")
    db.session.commit()
    h = world.headers(world.mentee)
    first = client.get("/api/notifications", headers=h).get_json()
    conforms(schemas.NotificationsPageOut, first)
    assert len(first["notifications"]) == NOTIFICATIONS_PAGE_SIZE and first["unread"] == total
    assert first["next_before"] == first["notifications"][-1]["id"]
    second = client.get("/api/notifications", headers=h, query_string={"before": first["next_before"]})
    conforms(schemas.NotificationsPageOut, second.get_json())
    assert [n["subject"] for n in second.get_json()["notifications"]] == [f"n{n}" for n in range(4, -1, -1)]
    assert second.get_json()["next_before"] is None
    marked = client.post("/api/notifications/read", headers=h, json={})
    conforms(schemas.NotificationsMarkedOut, marked.get_json())
    assert marked.get_json() == {"marked": total}


def test_a_bad_cursor_or_id_is_a_422(client, world: World) -> None:
    h = world.headers(world.mentee)
    for bad in ("abc", "0", str(2**40)):
        assert client.get(f"/api/notifications?before={bad}", headers=h).status_code == 422, bad
    huge = client.post("/api/notifications/read", headers=h, json={"ids": [2**40]})
    assert huge.status_code == 422 and "ids" in huge.get_json()["errors"]


def test_the_preferences_match_their_schemas(client, world: World) -> None:
    h = world.headers(world.mentee)
    read = client.get("/api/notifications/preferences", headers=h).get_json()
    conforms(schemas.NotificationSettingsOut, read)
    assert read["modes"] == ["immediate", "digest", "off"] and read["quiet_hours"] is None
    saved = client.put(
        "/api/notifications/preferences",
        headers=h,
        json={"email": "digest", "quiet_hours": {"start": "22:00", "end": "07:00"}},
    ).get_json()
    conforms(schemas.NotificationPreferencesOut, saved)
    assert saved == {"email": "digest", "quiet_hours": {"start": "22:00", "end": "07:00"}}
