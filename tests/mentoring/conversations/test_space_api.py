"""Match spaces over the API: access, threads, posts, edits, tombstones, mentions, unread, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.events import DomainEvent, subscribe, unsubscribe
from lti_tool.mentoring.conversations.models import Post, PostRevision, SpaceVisit, Thread
from lti_tool.mentoring.matching.models import EndReason, MatchStatus
from lti_tool.notifications.models import Notification
from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.matching import states as match_states


def new_thread(client, world: World, user, title="Goals", body="Let's set **goals**", links=None):
    response = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=world.headers(user),
        json={"title": title, "body": body, "links": links or []},
    )
    return response


def test_members_read_the_space_and_are_told_coordinators_can(client, world: World) -> None:
    for user in (world.mentor, world.mentee):
        response = client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(user))
        assert response.status_code == 200
        body = response.get_json()
        assert body["coordinators_can_read"] is True
        assert body["can_write"] is True
        assert [m["name"] for m in body["members"]] == ["Marta Rossi", "Ben Mentee0"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/matches/{m}/space",
        "/api/matches/{m}/chat",
        "/api/matches/{m}/history",
        "/api/matches/{m}/history/export.json",
        "/api/matches/{m}/meetings",
    ],
)
def test_a_mentee_of_another_match_gets_404(client, world: World, path: str) -> None:
    response = client.get(path.format(m=world.match.id), headers=world.headers(world.outsider))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_outsider_cannot_reach_threads_posts_or_write(client, world: World) -> None:
    thread_id = new_thread(client, world, world.mentor).get_json()["id"]
    post_id = db.session.execute(sa.select(Post.id)).scalar_one()
    h = world.headers(world.outsider)
    assert client.get(f"/api/threads/{thread_id}", headers=h).status_code == 404
    assert client.post(f"/api/threads/{thread_id}/posts", headers=h, json={"body": "hi"}).status_code == 404
    assert client.patch(f"/api/posts/{post_id}", headers=h, json={"body": "x"}).status_code == 404
    assert client.delete(f"/api/posts/{post_id}", headers=h).status_code == 404
    assert client.get(f"/api/posts/{post_id}/revisions", headers=h).status_code == 404
    assert (
        client.post(f"/api/matches/{world.match.id}/chat", headers=h, json={"body": "hi"}).status_code == 404
    )
    assert (
        client.post(
            f"/api/matches/{world.match.id}/threads", headers=h, json={"title": "x", "body": "y"}
        ).status_code
        == 404
    )
    assert db.session.execute(sa.select(sa.func.count()).select_from(Post)).scalar_one() == 1


def test_no_session_is_401(client, world: World) -> None:
    assert client.get(f"/api/matches/{world.match.id}/space").status_code == 401


def test_coordinator_reads_but_does_not_write(client, world: World) -> None:
    thread_id = new_thread(client, world, world.mentee).get_json()["id"]
    h = world.headers(world.coordinator)
    space = client.get(f"/api/matches/{world.match.id}/space", headers=h).get_json()
    assert space["can_write"] is False and "Coordinators can read" in space["read_only_reason"]
    assert client.get(f"/api/threads/{thread_id}", headers=h).status_code == 200
    refused = client.post(f"/api/threads/{thread_id}/posts", headers=h, json={"body": "hello"})
    assert refused.status_code == 403
    assert (
        client.post(f"/api/matches/{world.match.id}/chat", headers=h, json={"body": "x"}).status_code == 403
    )


def test_proposed_match_has_no_space_and_ended_match_is_read_only(client, app) -> None:
    world = make_world(status=MatchStatus.PROPOSED)
    assert (
        client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(world.mentor)).status_code
        == 404
    )
    match_states.ended(world.programme, world.match, EndReason.COORDINATOR)  # a coordinator ends the proposal
    body = client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(world.mentor)).get_json()
    assert body["can_write"] is False
    assert new_thread(client, world, world.mentor).status_code == 403


def test_thread_reply_markdown_unread_and_read_marker(client, world: World) -> None:
    created = new_thread(client, world, world.mentor, body="Hello *there*")
    assert created.status_code == 201
    thread_id = created.get_json()["id"]
    reply = client.post(
        f"/api/threads/{thread_id}/posts", headers=world.headers(world.mentor), json={"body": "Also `code`"}
    )
    assert reply.status_code == 201
    assert reply.get_json()["html"] == "<p>Also <code>code</code></p>\n"
    space = client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(world.mentee)).get_json()
    assert space["threads"][0]["unread"] == 2
    assert space["threads"][0]["post_count"] == 2
    thread = client.get(f"/api/threads/{thread_id}", headers=world.headers(world.mentee)).get_json()
    assert thread["posts"][0]["html"] == "<p>Hello <em>there</em></p>\n"
    space = client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(world.mentee)).get_json()
    assert space["threads"][0]["unread"] == 0
    # The author never has unread posts of their own.
    mine = client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(world.mentor)).get_json()
    assert mine["threads"][0]["unread"] == 0


def test_reply_to_a_post_of_another_thread_is_refused(client, world: World) -> None:
    a = new_thread(client, world, world.mentor, title="A").get_json()["id"]
    b = new_thread(client, world, world.mentor, title="B").get_json()["id"]
    post_in_a = db.session.execute(sa.select(Post.id).where(Post.thread_id == a)).scalar_one()
    response = client.post(
        f"/api/threads/{b}/posts",
        headers=world.headers(world.mentee),
        json={"body": "x", "parent_id": post_in_a},
    )
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]


def test_edit_keeps_visible_history_and_only_author_edits(client, world: World) -> None:
    thread_id = new_thread(client, world, world.mentee, body="first version").get_json()["id"]
    post_id = db.session.execute(sa.select(Post.id).where(Post.thread_id == thread_id)).scalar_one()
    denied = client.patch(
        f"/api/posts/{post_id}", headers=world.headers(world.mentor), json={"body": "hijack"}
    )
    assert denied.status_code == 403
    edited = client.patch(
        f"/api/posts/{post_id}", headers=world.headers(world.mentee), json={"body": "second version"}
    )
    assert edited.status_code == 200
    assert edited.get_json()["edit_count"] == 1 and edited.get_json()["edited_at"]
    revisions = client.get(f"/api/posts/{post_id}/revisions", headers=world.headers(world.mentor)).get_json()
    assert [r["body"] for r in revisions["revisions"]] == ["first version"]
    assert revisions["post"]["body"] == "second version"


def test_delete_leaves_a_tombstone_and_removes_the_words(client, world: World) -> None:
    thread_id = new_thread(client, world, world.mentee, body="secret words").get_json()["id"]
    post_id = db.session.execute(sa.select(Post.id).where(Post.thread_id == thread_id)).scalar_one()
    client.patch(f"/api/posts/{post_id}", headers=world.headers(world.mentee), json={"body": "more secret"})
    assert client.delete(f"/api/posts/{post_id}", headers=world.headers(world.mentor)).status_code == 403
    deleted = client.delete(f"/api/posts/{post_id}", headers=world.headers(world.mentee))
    assert deleted.status_code == 200
    body = client.get(f"/api/threads/{thread_id}", headers=world.headers(world.mentor)).get_json()
    post = body["posts"][0]
    assert post["deleted"] is True and post["html"] is None and post["body"] is None
    assert post["deleted_by"]["name"] == "Ben Mentee0"
    assert db.session.execute(sa.select(sa.func.count()).select_from(PostRevision)).scalar_one() == 0
    assert "secret" not in (db.session.get(Post, post_id).body or "")
    # A deleted post cannot be edited back to life.
    again = client.patch(
        f"/api/posts/{post_id}", headers=world.headers(world.mentee), json={"body": "zombie"}
    )
    assert again.status_code == 409


def test_coordinator_can_moderate_by_deleting(client, world: World) -> None:
    thread_id = new_thread(client, world, world.mentee).get_json()["id"]
    post_id = db.session.execute(sa.select(Post.id).where(Post.thread_id == thread_id)).scalar_one()
    assert client.delete(f"/api/posts/{post_id}", headers=world.headers(world.coordinator)).status_code == 200


def test_links_are_attachments_and_bad_links_change_nothing(client, world: World) -> None:
    ok = new_thread(client, world, world.mentor, links=[{"url": "https://example.org/cv.pdf", "title": "CV"}])
    assert ok.status_code == 201
    post = db.session.execute(sa.select(Post)).scalar_one()
    assert post.links == [{"url": "https://example.org/cv.pdf", "title": "CV"}]
    for bad in (
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.org/x",
        "https://",
        "x" * 3000,
    ):
        response = new_thread(client, world, world.mentor, title="Bad", links=[{"url": bad}])
        assert response.status_code == 422, bad
        assert "links" in response.get_json()["errors"]
    too_many = new_thread(
        client, world, world.mentor, links=[{"url": f"https://e.org/{i}"} for i in range(11)]
    )
    assert too_many.status_code == 422
    assert db.session.execute(sa.select(sa.func.count()).select_from(Thread)).scalar_one() == 1


def test_size_limits_and_empty_input_are_clear_and_write_nothing(client, world: World) -> None:
    cases = [
        {"title": "ok", "body": "   "},
        {"title": "ok", "body": "x" * 20_001},
        {"title": "", "body": "ok"},
        {"title": "t" * 201, "body": "ok"},
        {"body": "missing title"},
        {"title": "x", "body": 5},
    ]
    for payload in cases:
        response = client.post(
            f"/api/matches/{world.match.id}/threads", headers=world.headers(world.mentor), json=payload
        )
        assert response.status_code == 422, payload
        problem = response.get_json()
        assert problem["errors"] and problem["detail"]
    big_chat = client.post(
        f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentor), json={"body": "x" * 2_001}
    )
    assert big_chat.status_code == 422
    assert db.session.execute(sa.select(sa.func.count()).select_from(Thread)).scalar_one() == 0


def test_mentions_notify_the_mentioned_member(client, world: World) -> None:
    new_thread(client, world, world.mentor, body="@ben please read, and @nobody too")
    post = db.session.execute(sa.select(Post)).scalar_one()
    assert post.mentions == [world.mentee.id]
    kinds = (
        db.session.execute(sa.select(Notification.kind).where(Notification.user_id == world.mentee.id))
        .scalars()
        .all()
    )
    assert kinds == ["mention"]  # one notification, not a second generic one
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == world.outsider.id)
        ).scalar_one()
        == 0
    )


def test_new_since_last_visit(client, world: World) -> None:
    url = f"/api/matches/{world.match.id}/space"
    first = client.get(url, headers=world.headers(world.mentee)).get_json()
    assert first["previous_visit_at"] is None
    new_thread(client, world, world.mentor, title="Old")
    # The mentee's visit ended over an hour ago; then the mentor posts something new.
    visit = db.session.execute(
        sa.select(SpaceVisit).where(SpaceVisit.user_id == world.mentee.id)
    ).scalar_one()
    visit.visit_started_at -= timedelta(hours=2)
    visit.last_seen_at -= timedelta(hours=2)
    old = db.session.execute(sa.select(Thread)).scalar_one()
    old.last_post_at -= timedelta(hours=3)
    db.session.commit()
    new_thread(client, world, world.mentor, title="Fresh")
    second = client.get(url, headers=world.headers(world.mentee)).get_json()
    assert second["previous_visit_at"] is not None
    flags = {t["title"]: t["new_since_last_visit"] for t in second["threads"]}
    assert flags == {"Fresh": True, "Old": False}


def test_posts_and_chat_emit_message_sent(client, world: World) -> None:
    seen: list[DomainEvent] = []

    def collect(event: DomainEvent) -> None:
        seen.append(event)

    subscribe("message.sent", collect)
    try:
        thread_id = new_thread(client, world, world.mentee).get_json()["id"]
        client.post(
            f"/api/threads/{thread_id}/posts", headers=world.headers(world.mentor), json={"body": "r"}
        )
        client.post(
            f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentor), json={"body": "c"}
        )
    finally:
        unsubscribe("message.sent", collect)
    assert [(e.match_id, e.data["count"], e.data["channel"]) for e in seen] == [
        (world.match.id, 1, "post"),
        (world.match.id, 1, "post"),
        (world.match.id, 1, "chat"),
    ]
    assert all(e.programme_id == world.programme.id and e.participant_id for e in seen)


def test_thread_list_keyset_pagination(client, world: World) -> None:
    for i in range(25):
        new_thread(client, world, world.mentor, title=f"T{i:02d}")
    page1 = client.get(f"/api/matches/{world.match.id}/space", headers=world.headers(world.mentee)).get_json()
    assert len(page1["threads"]) == 20 and page1["next_cursor"]
    page2 = client.get(
        f"/api/matches/{world.match.id}/space",
        headers=world.headers(world.mentee),
        query_string={"cursor": page1["next_cursor"]},
    ).get_json()
    titles = [t["title"] for t in page1["threads"] + page2["threads"]]
    assert sorted(titles) == sorted(f"T{i:02d}" for i in range(25)) and len(set(titles)) == 25
    assert page2["next_cursor"] is None
    bad = client.get(
        f"/api/matches/{world.match.id}/space",
        headers=world.headers(world.mentee),
        query_string={"cursor": "garbage"},
    )
    assert bad.status_code == 422
