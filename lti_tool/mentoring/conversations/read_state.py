"""Read markers and visits: what each person has read of threads and chat, and when they last came by.

Reading a page writes at most a small marker, committed without reloading what the page shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.mentoring.conversations.models import (
    ChatMessage,
    ChatRead,
    Post,
    SpaceVisit,
    ThreadRead,
)

#: A visit lasts while the person comes back within this gap; "new" is measured from the visit before.
VISIT_GAP = timedelta(minutes=30)
#: A visit's "last seen" is refreshed at most this often: reading a page should rarely write.
VISIT_TOUCH = timedelta(minutes=2)


def commit_read_state() -> None:
    """Commit read markers and visits without expiring what the page already loaded.

    The rows on the page are about to be shown; reloading each after the commit would cost one
    query per row (an N+1 the query-count tests guard against).
    """
    session = db.session()
    if not (session.new or session.dirty or session.deleted):
        return  # nothing changed: no commit round trip
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def record_visit(user_id: int, space_key: str, now: datetime | None = None) -> datetime | None:
    """Note a visit; returns when the previous visit started (None on a first visit)."""
    now = now or utcnow()
    visit = db.session.execute(
        sa.select(SpaceVisit).where(SpaceVisit.user_id == user_id, SpaceVisit.space_key == space_key)
    ).scalar_one_or_none()
    if visit is None:
        db.session.add(
            SpaceVisit(user_id=user_id, space_key=space_key, visit_started_at=now, last_seen_at=now)
        )
        return None
    if now - visit.last_seen_at > VISIT_GAP:
        visit.previous_visit_at = visit.visit_started_at
        visit.visit_started_at = now
    if now - visit.last_seen_at > VISIT_TOUCH:
        visit.last_seen_at = now
    return visit.previous_visit_at


def mark_thread_read(user_id: int, thread_id: int, post_id: int) -> None:
    row = db.session.execute(
        sa.select(ThreadRead).where(ThreadRead.user_id == user_id, ThreadRead.thread_id == thread_id)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(ThreadRead(user_id=user_id, thread_id=thread_id, last_read_post_id=post_id))
    elif row.last_read_post_id < post_id:
        row.last_read_post_id = post_id


def unread_by_thread(user_id: int, thread_ids: list[int]) -> dict[int, int]:
    """Posts by others after the person's read marker, per thread, in one grouped query."""
    if not thread_ids:
        return {}
    marker = (
        sa.select(ThreadRead.last_read_post_id)
        .where(ThreadRead.user_id == user_id, ThreadRead.thread_id == Post.thread_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Post.thread_id, sa.func.count())
        .where(
            Post.thread_id.in_(thread_ids),
            Post.id > sa.func.coalesce(marker, 0),
            sa.or_(Post.author_user_id.is_(None), Post.author_user_id != user_id),
            Post.deleted_at.is_(None),
        )
        .group_by(Post.thread_id)
    ).all()
    return {thread_id: int(count) for thread_id, count in rows}


def mark_chat_read(user_id: int, match_id: int, message_id: int) -> None:
    row = db.session.execute(
        sa.select(ChatRead).where(ChatRead.user_id == user_id, ChatRead.match_id == match_id)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(ChatRead(user_id=user_id, match_id=match_id, last_read_message_id=message_id))
    elif row.last_read_message_id < message_id:
        row.last_read_message_id = message_id


def chat_unread(user_id: int, match_id: int) -> int:
    marker = (
        db.session.execute(
            sa.select(ChatRead.last_read_message_id).where(
                ChatRead.user_id == user_id, ChatRead.match_id == match_id
            )
        ).scalar_one_or_none()
        or 0
    )
    return int(
        db.session.execute(
            sa.select(sa.func.count()).where(
                ChatMessage.match_id == match_id,
                ChatMessage.id > marker,
                ChatMessage.author_user_id != user_id,
                ChatMessage.deleted_at.is_(None),
            )
        ).scalar_one()
    )
