"""Chat: sending, long polling with a cursor and ETags, tombstones, e-mail reminders, rate limits."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.jobs.models import Job
from lti_tool.mentoring.conversations import chat
from lti_tool.mentoring.conversations.models import ChatMessage
from lti_tool.notifications.models import Notification
from tests.mentoring.conversations.factories import World


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"CHAT_CHECK_INTERVAL_SECONDS": 0.05}


def send(client, world: World, user, body: str):
    return client.post(
        f"/api/matches/{world.match.id}/chat", headers=world.headers(user), json={"body": body}
    )


def test_messages_persist_and_arrive_after_the_cursor(client, world: World) -> None:
    url = f"/api/matches/{world.match.id}/chat"
    first = client.get(url, headers=world.headers(world.mentee))
    assert first.status_code == 200 and first.get_json()["messages"] == []
    cursor, etag = first.get_json()["cursor"], first.headers["ETag"]
    assert send(client, world, world.mentor, "Hi **Ben**").status_code == 201
    news = client.get(url, headers=world.headers(world.mentee), query_string={"since": cursor})
    body = news.get_json()
    assert [m["html"] for m in body["messages"]] == ["<p>Hi <strong>Ben</strong></p>\n"]
    assert body["messages"][0]["author"]["name"] == "Marta Rossi"
    assert news.headers["ETag"] != etag
    assert "no-cache" in news.headers["Cache-Control"]
    # Nothing after the new cursor.
    again = client.get(url, headers=world.headers(world.mentee), query_string={"since": body["cursor"]})
    assert again.get_json()["messages"] == []


def test_if_none_match_answers_304_when_nothing_changed(client, world: World) -> None:
    url = f"/api/matches/{world.match.id}/chat"
    send(client, world, world.mentor, "one")
    first = client.get(url, headers=world.headers(world.mentee))
    etag, cursor = first.headers["ETag"], first.get_json()["cursor"]
    same = client.get(
        url,
        headers={**world.headers(world.mentee), "If-None-Match": etag},
        query_string={"since": cursor, "wait": 0.2},
    )
    assert same.status_code == 304 and same.headers["ETag"] == etag
    send(client, world, world.mentor, "two")
    changed = client.get(
        url, headers={**world.headers(world.mentee), "If-None-Match": etag}, query_string={"since": cursor}
    )
    assert changed.status_code == 200
    assert [m["body"] for m in changed.get_json()["messages"]] == ["two"]


def test_a_waiting_poll_returns_when_a_message_arrives(app, world: World) -> None:
    url = f"/api/matches/{world.match.id}/chat"
    reader = app.test_client()
    start = reader.get(url, headers=world.headers(world.mentee)).get_json()["cursor"]
    result: dict[str, object] = {}
    started = threading.Event()

    def poll() -> None:
        with app.app_context():
            started.set()
            response = app.test_client().get(
                url, headers=world.headers(world.mentee), query_string={"since": start, "wait": 20}
            )
            result["status"] = response.status_code
            result["body"] = response.get_json()
            db.session.remove()

    waiter = threading.Thread(target=poll)
    waiter.start()
    started.wait(5)
    assert send(app.test_client(), world, world.mentor, "are you there?").status_code == 201
    waiter.join(25)
    assert not waiter.is_alive()
    assert result["status"] == 200
    assert [m["body"] for m in result["body"]["messages"]] == ["are you there?"]  # type: ignore[index]


def test_deletions_reach_pollers_as_tombstones(client, world: World) -> None:
    url = f"/api/matches/{world.match.id}/chat"
    message_id = send(client, world, world.mentor, "oops").get_json()["id"]
    cursor = client.get(url, headers=world.headers(world.mentee)).get_json()["cursor"]
    assert client.delete(f"/api/chat/{message_id}", headers=world.headers(world.mentee)).status_code == 403
    assert client.delete(f"/api/chat/{message_id}", headers=world.headers(world.mentor)).status_code == 200
    news = client.get(url, headers=world.headers(world.mentee), query_string={"since": cursor}).get_json()
    assert news["deleted"] == [message_id] and news["messages"] == []
    fresh = client.get(url, headers=world.headers(world.mentee)).get_json()
    assert fresh["messages"][0]["deleted"] is True and fresh["messages"][0]["body"] is None


def test_large_bursts_page_through_the_cursor(client, world: World) -> None:
    url = f"/api/matches/{world.match.id}/chat"
    cursor = client.get(url, headers=world.headers(world.mentee)).get_json()["cursor"]
    db.session.add_all(
        [
            ChatMessage(
                match_id=world.match.id, author_user_id=world.mentor.id, body=str(i), body_html=str(i)
            )
            for i in range(250)
        ]
    )
    db.session.commit()
    seen: list[str] = []
    for _ in range(5):
        body = client.get(url, headers=world.headers(world.mentee), query_string={"since": cursor}).get_json()
        seen += [m["body"] for m in body["messages"]]
        cursor = body["cursor"]
    assert seen == [str(i) for i in range(250)]


def test_bad_cursor_is_422(client, world: World) -> None:
    response = client.get(
        f"/api/matches/{world.match.id}/chat",
        headers=world.headers(world.mentee),
        query_string={"since": "abc"},
    )
    assert response.status_code == 422


def test_unread_chat_is_emailed_once_after_a_quiet_while(client, world: World) -> None:
    from lti_tool.jobs.runner import run_job

    send(client, world, world.mentor, "first")
    send(client, world, world.mentor, "second")
    jobs = db.session.execute(sa.select(Job).where(Job.task == chat.CHAT_EMAIL_TASK)).scalars().all()
    assert len(jobs) == 1  # one reminder per burst, not one per message
    assert jobs[0].payload == {"match_id": world.match.id, "user_id": world.mentee.id}
    job_id = jobs[0].id
    db.session.commit()
    run_job(job_id)
    notes = (
        db.session.execute(
            sa.select(Notification).where(
                Notification.user_id == world.mentee.id, Notification.kind == "chat"
            )
        )
        .scalars()
        .all()
    )
    assert len(notes) == 1 and "2 new chat messages" in notes[0].subject
    assert "first" in notes[0].text and "second" in notes[0].text
    # Running the reminder again finds nothing new to say.
    chat.chat_reminder({"match_id": world.match.id, "user_id": world.mentee.id})
    db.session.commit()
    assert (
        db.session.execute(
            sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "chat")
        ).scalar_one()
        == 1
    )


def test_read_chat_is_not_emailed(client, world: World) -> None:
    send(client, world, world.mentor, "hello")
    client.get(f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentee))
    chat.chat_reminder({"match_id": world.match.id, "user_id": world.mentee.id})
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == 0


class TestRateLimits:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_CHAT": 3, "RATELIMIT_POSTING": 2}

    def test_chat_and_posting_are_rate_limited_and_refusals_write_nothing(self, client, world: World) -> None:
        codes = [send(client, world, world.mentor, f"m{i}").status_code for i in range(4)]
        assert codes[:3] == [201, 201, 201] and codes[3] == 429
        assert db.session.execute(sa.select(sa.func.count()).select_from(ChatMessage)).scalar_one() == 3
        url = f"/api/matches/{world.match.id}/threads"
        statuses = [
            client.post(
                url, headers=world.headers(world.mentee), json={"title": f"t{i}", "body": "b"}
            ).status_code
            for i in range(3)
        ]
        assert statuses == [201, 201, 429]
        limited = client.post(url, headers=world.headers(world.mentee), json={"title": "x", "body": "y"})
        assert "Retry-After" in limited.headers
        assert limited.get_json()["status"] == 429
