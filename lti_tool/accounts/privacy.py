"""A person's data: a copy of everything Ritmo holds about them, and erasure (GDPR articles 15-17).

What counts as theirs is read off the schema: their user row, and every row that references it or
one of their participations through a foreign key. A table added later is covered without a
change here.

Erasure keeps the programme's records whole for everyone else: the person stays as an anonymous
participant of their matches, webinars and milestones, while their identity, their answers, their
notifications and every text they wrote into shared spaces are removed for good.
"""

from __future__ import annotations

import base64
import enum
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import NotFound

# Rows that only make sense for the person (deleted on erasure), by table and the column naming them.
_PERSONAL = (
    ("notification", "user_id"),
    ("email_preference", "user_id"),
    ("space_visit", "user_id"),
    ("chat_read", "user_id"),
    ("conversation_thread_read", "user_id"),
    ("score_outbox", "user_id"),  # undelivered scores: the LMS could not tell whose they are now
    ("goal_note", "author_user_id"),
)
_PERSONAL_BY_PARTICIPANT = ("profile_answer",)


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def _references(target: str) -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every (table, column) whose foreign key points at ``target``'s primary key."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == target:
                found.append((table, fk.parent))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _rows(table: sa.Table, where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns)
    result = db.session.execute(sa.select(table).where(where).order_by(*order))
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("This person does not exist in Ritmo.")
    return user


def _participant_ids(user_id: int) -> list[int]:
    participants = _table("participant")
    return list(
        db.session.execute(sa.select(participants.c.id).where(participants.c.user_id == user_id)).scalars()
    )


def export(user_id: int) -> dict[str, Any]:
    """Everything Ritmo holds about the person: ``{"user": {...}, "rows": {table: [row, ...]}}``."""
    user = _user(user_id)
    participant_ids = _participant_ids(user_id)
    rows: dict[str, list[dict[str, Any]]] = {}
    wanted: list[tuple[sa.Table, sa.ColumnElement[bool]]] = [
        (table, column == user_id) for table, column in _references("user")
    ]
    if participant_ids:
        wanted += [(table, column.in_(participant_ids)) for table, column in _references("participant")]
    for table, where in wanted:
        for row in _rows(table, where):
            bucket = rows.setdefault(table.name, [])
            if row not in bucket:  # a table that names the person twice (organiser and proposer)
                bucket.append(row)
    return {
        "exported_at": utcnow().isoformat(),
        "user": _rows(_table("user"), _table("user").c.id == user.id)[0],
        "rows": {name: rows[name] for name in sorted(rows)},
    }


@dataclass(frozen=True)
class Erasure:
    user_id: int
    deleted_rows: int
    blanked_texts: int


def erase(user_id: int, *, actor_user_id: int | None = None, reason: str = "") -> Erasure:
    """Remove the person's identity and personal data for good; keep the programme's records whole.

    Commits. The person's next launch from the LMS makes a new, unrelated user.
    """
    from lti_tool.launch import memo
    from lti_tool.launch.models import Platform
    from lti_tool.launch.tool_config import PlatformSnapshot

    user = _user(user_id)
    platform = db.session.get(Platform, user.platform_id)
    old_sub = user.sub
    participant_ids = _participant_ids(user_id)
    now = utcnow()
    conn = db.session.connection()  # the session's transaction: all of it commits, or none
    deleted = 0
    for name, column in _PERSONAL:
        table = _table(name)
        deleted += conn.execute(table.delete().where(table.c[column] == user_id)).rowcount
    for name in _PERSONAL_BY_PARTICIPANT:
        table = _table(name)
        deleted += conn.execute(
            table.delete().where(table.c.participant_id.in_(participant_ids))
        ).rowcount
    blanked = _blank_authored_texts(conn, user_id, participant_ids, now)
    user.sub = f"erased-{secrets.token_hex(16)}"
    user.name = user.given_name = user.family_name = user.email = None
    user.locale = user.timezone = None
    user.last_seen_at = None
    audit.record(
        "user.erased", "user", user_id, actor_user_id=actor_user_id, reason=reason[:500],
        deleted_rows=deleted, blanked_texts=blanked,
    )
    db.session.commit()
    if platform is not None:
        # After the commit: the embedded cache lives in the same SQLite file, which the erasure's
        # transaction holds locked until then.
        memo.forget(PlatformSnapshot.of(platform).scope, old_sub)
    return Erasure(user_id, deleted, blanked)


def _kept_or(column: sa.Column[Any], now: datetime) -> sa.ColumnElement[Any]:
    """``column`` if set, else ``now`` (typed as the column: UTC on every backend)."""
    return sa.func.coalesce(column, sa.bindparam(None, now, type_=column.type))


def _blank_authored_texts(
    conn: sa.Connection, user_id: int, participant_ids: list[int], now: datetime
) -> int:
    """Texts the person wrote where others read them: emptied, marked deleted, rows kept so that
    threads and chats still read in order."""
    threads = _table("conversation_thread")
    posts, revisions = _table("conversation_post"), _table("conversation_post_revision")
    chats, completions = _table("chat_message"), _table("milestone_completion")
    their_posts = sa.select(posts.c.id).where(posts.c.author_user_id == user_id).scalar_subquery()
    blanked = conn.execute(
        revisions.update()
        .where(sa.or_(revisions.c.editor_user_id == user_id, revisions.c.post_id.in_(their_posts)))
        .values(body="", body_html="", links=[])
    ).rowcount
    blanked += conn.execute(
        posts.update()
        .where(posts.c.author_user_id == user_id)
        .values(body="", body_html="", links=[], mentions=[], deleted_at=_kept_or(posts.c.deleted_at, now))
    ).rowcount
    # Threads they started stay for the replies of others; the title was theirs. A mark, not a
    # word: it is stored once and read in every language.
    blanked += conn.execute(
        threads.update().where(threads.c.author_user_id == user_id).values(title="—")
    ).rowcount
    blanked += conn.execute(
        chats.update()
        .where(chats.c.author_user_id == user_id)
        .values(body="", body_html="", mentions=[], deleted_at=_kept_or(chats.c.deleted_at, now))
    ).rowcount
    # Meetings they organised stay on both calendars; their title and agenda were the person's.
    meetings = _table("meeting")
    blanked += conn.execute(
        meetings.update()
        .where(meetings.c.organiser_user_id == user_id)
        .values(title="—", agenda="", agenda_html="")
    ).rowcount
    if participant_ids:
        blanked += conn.execute(
            completions.update()
            .where(completions.c.participant_id.in_(participant_ids), completions.c.note.is_not(None))
            .values(note=None)
        ).rowcount
    return int(blanked)
