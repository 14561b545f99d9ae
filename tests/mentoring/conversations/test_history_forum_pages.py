"""History (sources, search, filters, keyset pages, export), the programme forum, and the pages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread, ThreadKind
from lti_tool.notifications.models import Notification
from tests.mentoring.conversations.factories import World
from tests.session_codes import rh


def _seed(client, world: World) -> int:
    h = world.headers(world.mentor)
    thread = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=h,
        json={"title": "Career plan", "body": "Let us talk about **internships**"},
    ).get_json()
    client.post(
        f"/api/threads/{thread['id']}/posts",
        headers=world.headers(world.mentee),
        json={"body": "Sounds good"},
    )
    client.post(f"/api/matches/{world.match.id}/chat", headers=h, json={"body": "ping about internships"})
    audit.record(
        "match.approved", "match", world.match.id, actor_user_id=world.coordinator.id, reason="good fit"
    )
    db.session.commit()
    return int(thread["id"])


def test_timeline_merges_posts_chat_and_decisions(client, world: World) -> None:
    _seed(client, world)
    body = client.get(
        f"/api/matches/{world.match.id}/history", headers=world.headers(world.mentee)
    ).get_json()
    kinds = [e["kind"] for e in body["entries"]]
    # The match's own decisions (proposed, started: the factory makes it through the service) too.
    assert sorted(kinds) == ["chat", "decision", "decision", "decision", "post", "post"]
    decision = next(e for e in body["entries"] if e["data"].get("action") == "match.approved")
    assert decision["actor"]["name"] == "Cora Coordinator" and decision["text"] == "good fit"
    ats = [e["at"] for e in body["entries"]]
    assert ats == sorted(ats, reverse=True)


def test_search_and_kind_filters(client, world: World) -> None:
    _seed(client, world)
    h = world.headers(world.mentee)
    url = f"/api/matches/{world.match.id}/history"
    found = client.get(url, headers=h, query_string={"q": "internships"}).get_json()["entries"]
    assert sorted(e["kind"] for e in found) == ["chat", "post"]
    only_chat = client.get(url, headers=h, query_string={"kind": "chat"}).get_json()["entries"]
    assert [e["kind"] for e in only_chat] == ["chat"]
    percent = client.get(url, headers=h, query_string={"q": "%"}).get_json()["entries"]
    assert percent == []  # LIKE wildcards are searched literally
    assert client.get(url, headers=h, query_string={"kind": "nonsense"}).status_code == 422
    assert client.get(url, headers=h, query_string={"cursor": "!!!"}).status_code == 422
    assert client.get(url, headers=h, query_string={"since": "2026-01-01T00:00:00"}).status_code == 422
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert client.get(url, headers=h, query_string={"since": future}).get_json()["entries"] == []


def test_keyset_pages_cover_everything_once(client, world: World) -> None:
    base = utcnow() - timedelta(days=10)
    db.session.add_all(
        [
            ChatMessage(
                match_id=world.match.id,
                author_user_id=world.mentor.id,
                body=f"c{i}",
                body_html=f"c{i}",
                created_at=base + timedelta(minutes=i),
            )
            for i in range(70)
        ]
    )
    # Several entries at the very same instant must not be skipped or repeated across pages.
    db.session.add_all(
        [
            ChatMessage(
                match_id=world.match.id,
                author_user_id=world.mentee.id,
                body=f"same{i}",
                body_html="",
                created_at=base + timedelta(minutes=30),
            )
            for i in range(5)
        ]
    )
    db.session.commit()
    keys: list[str] = []
    cursor = None
    for _ in range(20):
        query = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        body = client.get(
            f"/api/matches/{world.match.id}/history", headers=world.headers(world.mentor), query_string=query
        ).get_json()
        keys += [e["key"] for e in body["entries"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(keys) == 77 and len(set(keys)) == 77  # and the match's proposal and start


def test_registered_sources_join_the_timeline(client, world: World) -> None:
    def goals(match_id: int, filters: history.HistoryFilters):
        yield history.HistoryEntry(
            at=utcnow(),
            kind="goal",
            key=f"goal:{match_id}",
            actor_user_id=None,
            title="Goal agreed: finish the CV",
        )

    history.register_source("test-goals", goals, kinds=("goal",))
    try:
        body = client.get(
            f"/api/matches/{world.match.id}/history",
            headers=world.headers(world.mentor),
            query_string={"kind": "goal"},
        ).get_json()
        assert [e["title"] for e in body["entries"]] == ["Goal agreed: finish the CV"]
        assert "goal" in body["kinds"]
    finally:
        history._sources.pop("test-goals")


def test_export_json_and_html_for_members_only(client, world: World) -> None:
    thread_id = _seed(client, world)
    post_id = (
        db.session.execute(sa.select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id))
        .scalars()
        .first()
    )
    client.delete(f"/api/posts/{post_id}", headers=world.headers(world.mentor))
    exported = client.get(
        f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.mentee)
    )
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    data = exported.get_json()
    assert len(data["entries"]) == 6 and [m["name"] for m in data["members"]] == [
        "Marta Rossi",
        "Ben Mentee0",
    ]
    assert any(e["data"].get("deleted") for e in data["entries"])
    page = client.get(f"/matches/{world.match.id}/history/export.html?rh={rh(world.token(world.mentor))}")
    assert page.status_code == 200 and "Sounds good" in page.get_data(as_text=True)
    assert (
        client.get(
            f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.outsider)
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.coordinator)
        ).status_code
        == 200
    )


def test_forum_questions_announcements_and_notifications(client, world: World) -> None:
    h = world.headers(world.mentee)
    asked = client.post("/api/forum/threads", headers=h, json={"title": "When is the kickoff?", "body": "?"})
    assert asked.status_code == 201 and asked.get_json()["kind"] == "question"
    denied = client.post(
        "/api/forum/threads", headers=h, json={"title": "x", "body": "y", "kind": "announcement"}
    )
    assert denied.status_code == 403
    coordinator_notes = (
        db.session.execute(
            sa.select(Notification.subject).where(Notification.user_id == world.coordinator.id)
        )
        .scalars()
        .all()
    )
    assert coordinator_notes == ["Ben Mentee0 started “When is the kickoff?”"]
    announced = client.post(
        "/api/forum/threads",
        headers=world.headers(world.coordinator),
        json={"title": "Kickoff on Monday", "body": "Welcome!", "kind": "announcement"},
    )
    assert announced.status_code == 201
    drain()
    receivers = set(
        db.session.execute(
            sa.select(Notification.user_id).where(Notification.kind == "announcement")
        ).scalars()
    )
    assert world.mentee.id in receivers and world.outsider.id in receivers and world.mentor.id in receivers
    assert world.coordinator.id not in receivers
    # Everyone in the programme reads the forum, including other matches' mentees.
    forum = client.get("/api/forum", headers=world.headers(world.outsider)).get_json()
    assert {t["title"] for t in forum["threads"]} == {"When is the kickoff?", "Kickoff on Monday"}
    reply = client.post(
        f"/api/threads/{asked.get_json()['id']}/posts",
        headers=world.headers(world.coordinator),
        json={"body": "Monday 9:00"},
    )
    assert reply.status_code == 201
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == world.mentee.id, Notification.kind == "post")
        ).scalar_one()
        == 1
    )
    # Forum threads are not part of any match's history.
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(Thread)
            .where(Thread.match_id.is_(None), Thread.kind == ThreadKind.ANNOUNCEMENT)
        ).scalar_one()
        == 1
    )


def test_pages_render_and_forms_work(client, world: World) -> None:
    token = world.token(world.mentor)
    space = client.get(f"/matches/{world.match.id}/space?rh={rh(token)}")
    assert space.status_code == 200
    html = space.get_data(as_text=True)
    assert "coordinators can also read it" in html and "@benmentee0" in html
    created = client.post(
        f"/matches/{world.match.id}/threads",
        data={
            "ritmo_session": token,
            "title": "Plan",
            "body": "Hello @ben",
            "links": "https://example.org/doc The doc",
        },
    )
    assert created.status_code == 303
    thread_url = created.headers["Location"]
    assert "rh=" in thread_url
    page = client.get(thread_url).get_data(as_text=True)
    assert "The doc" in page and "Hello @ben" in page
    thread_id = db.session.execute(sa.select(Thread.id)).scalar_one()
    replied = client.post(
        f"/threads/{thread_id}/reply", data={"ritmo_session": world.token(world.mentee), "body": "Yes!"}
    )
    assert replied.status_code == 303
    chat = client.post(f"/matches/{world.match.id}/chat", data={"ritmo_session": token, "body": "hey"})
    assert chat.status_code == 303
    code = rh(world.token(world.mentee))
    assert "hey" in client.get(f"/matches/{world.match.id}/space?rh={code}").get_data(
        as_text=True
    )
    post_id = db.session.execute(
        sa.select(Post.id).where(Post.author_user_id == world.mentor.id)
    ).scalar_one()
    edited = client.post(
        f"/posts/{post_id}/edit", data={"ritmo_session": token, "body": "Hello again", "links": ""}
    )
    assert edited.status_code == 303
    revisions = client.get(f"/posts/{post_id}/history?rh={rh(token)}").get_data(as_text=True)
    assert "Hello @ben" in revisions and "Hello again" in revisions
    history_page = client.get(f"/matches/{world.match.id}/history?rh={rh(token)}&q=hey")
    assert history_page.status_code == 200 and "hey" in history_page.get_data(as_text=True)
    forum = client.get(f"/forum?rh={rh(world.token(world.outsider))}")
    assert forum.status_code == 200
    assert client.get(f"/spaces?rh={rh(token)}").status_code == 200
    # An outsider's page request is refused inside the frame with an HTML page.
    refused = client.get(f"/matches/{world.match.id}/space?rh={rh(world.token(world.outsider))}")
    assert refused.status_code == 404 and "text/html" in refused.content_type
    bad = client.post(
        f"/matches/{world.match.id}/threads", data={"ritmo_session": token, "title": "", "body": ""}
    )
    assert bad.status_code == 422


def _italian_token(world: World, user) -> str:
    from lti_tool.accounts.models import CourseRole
    from lti_tool.identity.context import LaunchContext
    from lti_tool.identity.session import issue_token

    return issue_token(
        LaunchContext(
            platform_id=world.platform.id,
            user_id=user.id,
            course_id=world.course.id,
            role=CourseRole.PARTICIPANT,
            is_mentor=user == world.mentor,
            locale="it",
        )
    )


def test_counts_and_labels_read_right_in_english_and_italian(client, world: World) -> None:
    thread = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=world.headers(world.mentor),
        json={"title": "Career plan", "body": "First"},
    ).get_json()
    space = f"/matches/{world.match.id}/space"
    english = client.get(f"{space}?rh={rh(world.token(world.mentor))}").get_data(as_text=True)
    assert "1 post ·" in english and "1 posts" not in english
    assert "last activity <time" in english
    reply = {"body": "Second"}
    client.post(f"/api/threads/{thread['id']}/posts", headers=world.headers(world.mentee), json=reply)
    italian_token = _italian_token(world, world.mentor)
    italian = client.get(f"{space}?rh={rh(italian_token)}").get_data(as_text=True)
    assert "2 messaggi ·" in italian and "ultima attività <time" in italian
    # Enum values are shown by their label, in the viewer's language.
    spaces = client.get(f"/spaces?rh={rh(italian_token)}").get_data(as_text=True)
    assert ">attivo</span>" in spaces and ">active</span>" not in spaces


def test_matching_decisions_have_readable_titles(client, world: World) -> None:
    audit.record("match.locked", "match", world.match.id, actor_user_id=world.coordinator.id)
    db.session.commit()
    entries = client.get(
        f"/api/matches/{world.match.id}/history",
        headers=world.headers(world.mentor),
        query_string={"kind": "decision"},
    ).get_json()["entries"]
    assert [e["title"] for e in entries] == [
        "Matching: pair locked",
        "Matching: match started",
        "Matching: proposed by hand",
    ]
    assert entries[0]["data"]["action"] == "match.locked"  # the code stays for machines
    page = client.get(
        f"/matches/{world.match.id}/history?rh={rh(_italian_token(world, world.mentor))}&kind=decision"
    ).get_data(as_text=True)
    assert "Abbinamento: coppia bloccata" in page and "match locked" not in page


def test_export_shows_kind_labels_and_local_dates_in_the_viewers_language(client, world: World) -> None:
    chat = {"body": "ciao"}
    client.post(f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentee), json=chat)
    token = _italian_token(world, world.mentor)
    page = client.get(f"/matches/{world.match.id}/history/export.html?rh={rh(token)}").get_data(as_text=True)
    assert "· messaggio in chat ·" in page and "· chat ·" not in page
    assert '<time datetime="' in page and " UTC</div>" not in page
    history_page = client.get(f"/matches/{world.match.id}/history?rh={rh(token)}").get_data(as_text=True)
    assert "· messaggio in chat ·" in history_page
