"""Support requests over HTTP: who sees them, their states, assignment, sanitising, notifications."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.support.models import SupportStaff
from lti_tool.notifications.models import Notification
from tests.mentoring.conversations.factories import World
from tests.mentoring.support.conftest import ask


def notified(user_id: int) -> list[str]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Notification).where(Notification.user_id == user_id, Notification.kind == "support")
    ).scalars()
    return [n.subject for n in rows]


def test_a_participant_opens_a_private_request_that_support_is_told_about(client, world: World) -> None:
    response = ask(client, world)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "open"
    assert created["assignee_user_id"] is None
    assert created["due_at"] is not None
    assert [m["body_html"] for m in created["messages"]] == [
        "<p>Where do I <strong>set goals</strong>?</p>\n"
    ]
    assert notified(world.coordinator.id) == ["Ben Mentee0 asked for help: “Cannot find the goals page”"]
    assert notified(world.mentor.id) == []

    mine = client.get("/api/support/requests", headers=world.headers(world.mentee)).get_json()
    assert [r["id"] for r in mine["requests"]] == [created["id"]]
    queue = client.get("/api/support/queue", headers=world.headers(world.coordinator)).get_json()
    assert [r["id"] for r in queue["requests"]] == [created["id"]]


def test_only_the_requester_and_support_see_a_request(client, world: World) -> None:
    request_id = ask(client, world, match_id=world.match.id).get_json()["id"]
    for user in (world.mentee, world.coordinator):
        assert (
            client.get(f"/api/support/requests/{request_id}", headers=world.headers(user)).status_code == 200
        )
    # The partner, another participant: the same 404 as for a request that does not exist.
    for user in (world.mentor, world.outsider):
        url = f"/api/support/requests/{request_id}"
        assert client.get(url, headers=world.headers(user)).status_code == 404
        reply = client.post(f"{url}/messages", headers=world.headers(user), json={"body": "me too"})
        assert reply.status_code == 404
        assert client.post(f"{url}/close", headers=world.headers(user)).status_code == 404
        assert client.get(f"/support/requests/{request_id}", headers=world.headers(user)).status_code == 404
    assert client.get("/api/support/requests/999999", headers=world.headers(world.mentee)).status_code == 404
    assert client.get("/api/support/queue", headers=world.headers(world.mentor)).status_code == 404


def test_a_request_may_be_about_ones_own_match_only(client, world: World) -> None:
    response = ask(client, world, match_id=world.other_match.id)
    assert response.status_code == 422
    assert "match_id" in response.get_json()["errors"]
    assert client.get("/api/support/requests", headers=world.headers(world.mentee)).get_json() == {
        "requests": []
    }


def test_states_follow_the_exchange(client, world: World) -> None:
    request_id = ask(client, world).get_json()["id"]
    url = f"/api/support/requests/{request_id}"
    answer = client.post(
        f"{url}/messages", headers=world.headers(world.coordinator), json={"body": "Open *Goals*."}
    )
    assert answer.status_code == 201 and answer.get_json()["from_support"] is True
    seen = client.get(url, headers=world.headers(world.mentee)).get_json()
    assert seen["status"] == "answered"
    assert seen["due_at"] is None
    assert seen["assignee_user_id"] == world.coordinator.id  # whoever answers first takes it
    assert notified(world.mentee.id) == ["Support answered “Cannot find the goals page”"]

    assert client.post(f"{url}/close", headers=world.headers(world.mentee)).get_json()["status"] == "closed"
    assert client.post(f"{url}/close", headers=world.headers(world.mentee)).status_code == 409

    again = client.post(
        f"{url}/messages", headers=world.headers(world.mentee), json={"body": "It is gone again"}
    )
    assert again.status_code == 201 and again.get_json()["from_support"] is False
    reopened = client.get(url, headers=world.headers(world.mentee)).get_json()
    assert reopened["status"] == "open" and reopened["due_at"] is not None and reopened["closed_at"] is None
    # The assignee hears about the new message, not everyone in support.
    assert notified(world.coordinator.id)[-1] == "Ben Mentee0 wrote about “Cannot find the goals page”"
    assert [m["from_support"] for m in reopened["messages"]] == [False, True, False]


def test_messages_are_sanitised_like_posts_and_links_checked(client, world: World) -> None:
    evil = "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    created = ask(client, world, body=evil, links=[{"url": "https://docs.example/help", "title": "Docs"}])
    assert created.status_code == 201
    html = created.get_json()["messages"][0]["body_html"]
    # Raw HTML is kept as inert text; the javascript: link is not a link.
    assert "<script" not in html and "<img" not in html and "href=" not in html
    assert "&lt;script&gt;" in html
    assert created.get_json()["messages"][0]["links"] == [
        {"url": "https://docs.example/help", "title": "Docs"}
    ]

    bad = ask(client, world, links=[{"url": "javascript:alert(1)"}])
    assert bad.status_code == 422 and "links" in bad.get_json()["errors"]
    empty = ask(client, world, body="   ")
    assert empty.status_code == 422 and "body" in empty.get_json()["errors"]
    untitled = ask(client, world, subject="")
    assert untitled.status_code == 422 and "subject" in untitled.get_json()["errors"]
    # Nothing half-written: only the first request exists.
    assert (
        len(client.get("/api/support/requests", headers=world.headers(world.mentee)).get_json()["requests"])
        == 1
    )


def test_assignment_to_support_people_only(client, world: World) -> None:
    request_id = ask(client, world).get_json()["id"]
    url = f"/api/support/requests/{request_id}/assign"
    assert client.post(url, headers=world.headers(world.mentee), json={"assignee": "me"}).status_code == 404
    refused = client.post(
        url, headers=world.headers(world.coordinator), json={"assignee": str(world.mentor.id)}
    )
    assert refused.status_code == 422

    db.session.add(SupportStaff(programme_id=world.programme.id, user_id=world.outsider.id))
    db.session.commit()
    given = client.post(
        url, headers=world.headers(world.coordinator), json={"assignee": str(world.outsider.id)}
    )
    assert given.status_code == 200 and given.get_json()["assignee_user_id"] == world.outsider.id
    assert notified(world.outsider.id) == [
        "Cora Coordinator gave you a support request: “Cannot find the goals page”"
    ]
    # Staff see and answer the programme's requests, though they are participants too.
    as_staff = client.get(f"/api/support/requests/{request_id}", headers=world.headers(world.outsider))
    assert as_staff.status_code == 200
    mine = client.post(url, headers=world.headers(world.coordinator), json={"assignee": "me"}).get_json()
    assert mine["assignee_user_id"] == world.coordinator.id
    back = client.post(url, headers=world.headers(world.coordinator), json={"assignee": "none"}).get_json()
    assert back["assignee_user_id"] is None


def test_coordinators_name_support_staff_from_the_manage_page(client, world: World) -> None:
    token = {"ritmo_session": world.token(world.coordinator)}
    added = client.post("/support/staff", data={**token, "user_id": world.outsider.id})
    assert added.status_code == 303
    page = client.post("/support/manage", data=token)
    assert "Olga Outsider" in page.get_data(as_text=True)
    refused = client.post(
        "/support/staff", data={"ritmo_session": world.token(world.mentee), "user_id": world.mentee.id}
    )
    assert refused.status_code == 403
    removed = client.post(f"/support/staff/{world.outsider.id}/delete", data=token)
    assert removed.status_code == 303
    assert db.session.execute(sa.select(SupportStaff)).scalars().all() == []
