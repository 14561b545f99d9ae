"""Benchmark: the first page of a big match space on PostgreSQL.

Builds a match space with 1,000 posts (100 topics) and 5,000 chat messages in a scratch database of
its own, then requests the space's first page (the JSON API and the in-frame HTML page, alternately,
as the mentor and the mentee) through the WSGI app and measures server time per request. Prints one
JSON line: ``posts``, ``chat_messages``, ``requests``, ``p50_ms``, ``p95_ms``, ``queries_per_page``.

    .venv/bin/python bench/match_space.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed import bench_programme
from lti_tool import create_app
from lti_tool.accounts.models import CourseRole, User
from lti_tool.db import db, utcnow
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread, ThreadKind
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole
from lti_tool.text import render_markdown

TOPICS = 100
POSTS = 1_000
CHAT = 5_000


def build(app) -> tuple[int, dict[str, str]]:
    with app.app_context():
        db.create_all()
        platform, course, programme = bench_programme()
        mentor = User(platform_id=platform.id, sub="mentor", name="Mentor Bench", email="m@bench.invalid")
        mentee = User(platform_id=platform.id, sub="mentee", name="Mentee Bench", email="e@bench.invalid")
        db.session.add_all([mentor, mentee])
        db.session.flush()
        mp = Participant(programme_id=programme.id, user_id=mentor.id, role=ParticipantRole.MENTOR)
        ep = Participant(programme_id=programme.id, user_id=mentee.id, role=ParticipantRole.MENTEE)
        db.session.add_all([mp, ep])
        db.session.flush()
        match = Match(programme_id=programme.id, mentor_id=mp.id, status=MatchStatus.ACTIVE)
        match.members = [MatchMentee(mentee_id=ep.id)]
        db.session.add(match)
        db.session.flush()
        start = utcnow() - timedelta(days=180)
        authors = [mentor.id, mentee.id]
        body = "A longer post with **Markdown**, a [link](https://example.org) and a list:\n\n- one\n- two\n"
        html = render_markdown(body)
        per_topic = POSTS // TOPICS
        for t in range(TOPICS):
            at = start + timedelta(hours=t * 40)
            thread = Thread(
                programme_id=programme.id,
                match_id=match.id,
                kind=ThreadKind.DISCUSSION,
                title=f"Topic {t}",
                author_user_id=authors[t % 2],
                created_at=at,
                last_post_at=at + timedelta(minutes=per_topic),
                post_count=per_topic,
            )
            db.session.add(thread)
            db.session.flush()
            db.session.execute(
                sa.insert(Post),
                [
                    {
                        "thread_id": thread.id,
                        "match_id": match.id,
                        "author_user_id": authors[p % 2],
                        "body": body,
                        "body_html": html,
                        "links": [],
                        "mentions": [],
                        "edit_count": 0,
                        "created_at": at + timedelta(minutes=p),
                    }
                    for p in range(per_topic)
                ],
            )
        db.session.execute(
            sa.insert(ChatMessage),
            [
                {
                    "match_id": match.id,
                    "author_user_id": authors[i % 2],
                    "body": f"message {i}",
                    "body_html": f"<p>message {i}</p>",
                    "mentions": [],
                    "created_at": start + timedelta(minutes=50 * i),
                }
                for i in range(CHAT)
            ],
        )
        db.session.commit()
        tokens = {
            who: issue_token(
                LaunchContext(
                    platform_id=platform.id,
                    user_id=uid,
                    course_id=course.id,
                    role=CourseRole.PARTICIPANT,
                    is_mentor=who == "mentor",
                )
            )
            for who, uid in (("mentor", mentor.id), ("mentee", mentee.id))
        }
        return match.id, tokens


def run(database_url: str, requests: int) -> dict[str, object]:
    server = sa.engine.make_url(database_url)
    name = f"ritmo_bench_space_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "REDIS_URL": None,
                "REQUIRE_MIGRATED_DATABASE": False,
                "JOBS_BACKEND": "none",
                "TESTING": True,
            }
        )
        match_id, tokens = build(app)
        client = app.test_client()
        paths = [
            (f"/api/matches/{match_id}/space", "api"),
            (f"/matches/{match_id}/space", "page"),
        ]
        with app.app_context():
            engine = db.engine
        statements: list[int] = [0]

        def count(*_args: object) -> None:
            statements[0] += 1

        sa.event.listen(engine, "before_cursor_execute", count)
        timings: list[float] = []
        queries: list[int] = []
        for i in range(requests + 20):
            path, _kind = paths[i % 2]
            who = "mentor" if (i // 2) % 2 else "mentee"
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            statements[0] = 0
            begin = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - begin) * 1000
            if response.status_code != 200:
                raise SystemExit(
                    f"{path} answered {response.status_code}: {response.get_data(as_text=True)[:300]}"
                )
            if i >= 20:  # warm-up excluded
                timings.append(elapsed)
                queries.append(statements[0])
        sa.event.remove(engine, "before_cursor_execute", count)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        timings.sort()
        return {
            "posts": POSTS,
            "chat_messages": CHAT,
            "requests": len(timings),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
            "queries_per_page": max(queries),
        }
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    print(json.dumps(run(args.database_url, args.requests)))


if __name__ == "__main__":
    main()
