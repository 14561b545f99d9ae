"""The first page of a space costs a fixed number of SQL statements, however big the space is."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread, ThreadKind
from tests.mentoring.conversations.factories import World
from tests.session_codes import rh

#: Session check, space access (match, programme, members), visit, threads, unread, chat (state, page,
#: marker), people, upcoming meetings, template helpers: the budget for the first page.
MAX_QUERIES_PER_PAGE = 16


@contextlib.contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def grow(world: World, threads: int, posts_per_thread: int, chat: int) -> None:
    now = utcnow() - timedelta(days=30)
    for t in range(threads):
        thread = Thread(
            programme_id=world.programme.id,
            match_id=world.match.id,
            kind=ThreadKind.DISCUSSION,
            title=f"Topic {t}",
            author_user_id=world.mentor.id,
            created_at=now,
            last_post_at=now,
            post_count=posts_per_thread,
        )
        db.session.add(thread)
        db.session.flush()
        db.session.add_all(
            [
                Post(
                    thread_id=thread.id,
                    match_id=world.match.id,
                    author_user_id=world.mentor.id if p % 2 else world.mentee.id,
                    body=f"post {p}",
                    body_html=f"<p>post {p}</p>",
                    created_at=now + timedelta(minutes=p),
                )
                for p in range(posts_per_thread)
            ]
        )
    db.session.add_all(
        [
            ChatMessage(
                match_id=world.match.id,
                author_user_id=world.mentor.id if i % 2 else world.mentee.id,
                body=f"c{i}",
                body_html=f"<p>c{i}</p>",
                created_at=now + timedelta(seconds=i),
            )
            for i in range(chat)
        ]
    )
    db.session.commit()


def measure(client, world: World, path: str) -> int:
    client.get(path, headers=world.headers(world.mentee))  # warm-up: first visit rows
    with count_queries() as statements:
        response = client.get(path, headers=world.headers(world.mentee))
    assert response.status_code == 200
    return len(statements)


def test_space_api_and_page_query_count_does_not_grow_with_the_space(client, world: World) -> None:
    api = f"/api/matches/{world.match.id}/space"
    grow(world, threads=3, posts_per_thread=2, chat=5)
    small_api = measure(client, world, api)
    small_page = measure(client, world, f"/matches/{world.match.id}/space?rh={rh(world.token(world.mentee))}")
    grow(world, threads=40, posts_per_thread=10, chat=300)
    big_api = measure(client, world, api)
    big_page = measure(client, world, f"/matches/{world.match.id}/space?rh={rh(world.token(world.mentee))}")
    assert big_api == small_api <= MAX_QUERIES_PER_PAGE
    assert big_page == small_page <= MAX_QUERIES_PER_PAGE


def test_thread_and_history_pages_do_not_query_per_row(client, world: World) -> None:
    grow(world, threads=1, posts_per_thread=5, chat=5)
    thread_id = db.session.execute(sa.select(Thread.id)).scalar_one()
    small_thread = measure(client, world, f"/api/threads/{thread_id}")
    small_history = measure(client, world, f"/api/matches/{world.match.id}/history")
    db.session.add_all(
        [
            Post(
                thread_id=thread_id,
                match_id=world.match.id,
                author_user_id=world.mentor.id,
                body="x",
                body_html="x",
            )
            for _ in range(45)
        ]
    )
    db.session.commit()
    grow(world, threads=0, posts_per_thread=0, chat=100)
    assert measure(client, world, f"/api/threads/{thread_id}") == small_thread
    assert measure(client, world, f"/api/matches/{world.match.id}/history") == small_history
