"""A match's chat: sending, deleting, the e-mailed reminder of unread messages, and the long poll that
waits for news with a cursor or an ETag."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import aliased

from lti_tool import text as usertext
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.mentoring.conversations.cleaning import CHAT_MAX, clean_body
from lti_tool.mentoring.conversations.mentions import resolve_mentions
from lti_tool.mentoring.conversations.models import (
    ChatMessage,
    ChatRead,
)
from lti_tool.mentoring.conversations.read_state import commit_read_state, mark_chat_read
from lti_tool.mentoring.conversations.reply_addresses import chat_reply_address
from lti_tool.mentoring.conversations.spaces import (
    Space,
    match_space,
    participant_id,
    require_write,
    users_by_id,
)
from lti_tool.notifications import service as notifications

CHAT_PAGE_SIZE = 50
#: A part of a chat cursor: an id or milliseconds, ASCII digits that fit the database's integers.
_CURSOR_PART = re.compile(r"[0-9]{1,15}")
#: Chat is e-mailed as one reminder per person after this quiet time, only if still unread then.
CHAT_EMAIL_DELAY = timedelta(minutes=10)
CHAT_EMAIL_TASK = "conversations.chat_reminder"


def send_chat(ctx: LaunchContext, match_id: int, body: str) -> ChatMessage:
    space = match_space(ctx, match_id)
    require_write(space)
    body = clean_body(body, CHAT_MAX)
    now = utcnow()
    message = ChatMessage(
        match_id=match_id,
        author_user_id=ctx.user_id,
        body=body,
        body_html=usertext.render_markdown(body),
        mentions=resolve_mentions(space, body, ctx.user_id),
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    mark_chat_read(ctx.user_id, match_id, message.id)
    emit(
        DomainEvent(
            "message.sent",
            space.programme.id,
            match_id=match_id,
            participant_id=participant_id(space.programme.id, ctx.user_id),
            actor_user_id=ctx.user_id,
            data={"count": 1, "channel": "chat", "message_id": message.id},
        )
    )
    window = int(now.timestamp() // CHAT_EMAIL_DELAY.total_seconds())
    for user_id in space.member_user_ids:
        if user_id == ctx.user_id:
            continue
        enqueue(
            CHAT_EMAIL_TASK,
            {"match_id": match_id, "user_id": user_id},
            run_at=now + CHAT_EMAIL_DELAY,
            dedupe_key=f"{CHAT_EMAIL_TASK}:{match_id}:{user_id}:{window}",
        )
    db.session.commit()
    return message


def chat_reminder(payload: dict[str, Any]) -> None:
    """Tell a member about chat messages still unread after a quiet while (one notice per burst)."""
    match_id, user_id = int(payload["match_id"]), int(payload["user_id"])
    read = db.session.execute(
        sa.select(ChatRead).where(ChatRead.user_id == user_id, ChatRead.match_id == match_id)
    ).scalar_one_or_none()
    if read is None:
        read = ChatRead(user_id=user_id, match_id=match_id)
        db.session.add(read)
        db.session.flush()
    floor = max(read.last_read_message_id, read.last_notified_message_id)
    unread = list(
        db.session.execute(
            sa.select(ChatMessage)
            .where(
                ChatMessage.match_id == match_id,
                ChatMessage.id > floor,
                ChatMessage.author_user_id != user_id,
                ChatMessage.deleted_at.is_(None),
            )
            .order_by(ChatMessage.id)
        ).scalars()
    )
    if not unread:
        return
    authors = users_by_id(m.author_user_id for m in unread)
    names = sorted({authors[m.author_user_id].display_name for m in unread if m.author_user_id in authors})
    lines = [f"{_name(authors, m.author_user_id)}: {usertext.excerpt(m.body, 200)}" for m in unread[-5:]]
    notifications.notify(
        user_id,
        "chat",
        lazy_ngettext(
            "%(num)d new chat message from %(names)s",
            "%(num)d new chat messages from %(names)s",
            len(unread),
            names=", ".join(names),
        )
        if len(unread) > 1
        else _l("New chat message from %(names)s", names=", ".join(names)),
        "\n".join(lines),
        link=f"/matches/{match_id}/space#chat",
        reply_to=chat_reply_address(user_id, match_id),
    )
    read.last_notified_message_id = unread[-1].id


def _name(people: dict[int, User], user_id: int | None) -> str:
    user = people.get(user_id) if user_id is not None else None
    return user.display_name if user else "?"


def delete_chat(ctx: LaunchContext, message_id: int) -> ChatMessage:
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        raise NotFound(_("This message does not exist."))
    space = match_space(ctx, message.match_id)
    if message.author_user_id != ctx.user_id and not ctx.is_coordinator:
        raise Forbidden(_("Only the author or a coordinator can delete a message."))
    if message.deleted_at is None:
        message.body = ""
        message.body_html = ""
        message.mentions = []
        message.deleted_at = utcnow()
        db.session.commit()
    del space
    return message


@dataclass
class ChatState:
    """Where a chat stands: the newest message and the newest deletion, as an ETag and a cursor."""

    last_id: int
    last_deleted_ms: int

    @property
    def etag(self) -> str:
        return f'"chat-{self.last_id}-{self.last_deleted_ms}"'

    @property
    def cursor(self) -> str:
        return f"{self.last_id}-{self.last_deleted_ms}"


def parse_cursor(cursor: str | None) -> ChatState | None:
    if not cursor:
        return None
    last_id, _sep, deleted = cursor.partition("-")
    try:
        if not _CURSOR_PART.fullmatch(last_id) or not _CURSOR_PART.fullmatch(deleted or "0"):
            raise ValueError(cursor)
        return ChatState(int(last_id), int(deleted or 0))
    except ValueError as error:
        raise InvalidInput(errors={"since": [_("Use the cursor the previous response gave.")]}) from error


def chat_state(match_id: int) -> ChatState:
    last_id, last_deleted = db.session.execute(
        sa.select(sa.func.max(ChatMessage.id), sa.func.max(ChatMessage.deleted_at)).where(
            ChatMessage.match_id == match_id
        )
    ).one()
    return ChatState(int(last_id or 0), _ms(last_deleted))


def _ms(value: datetime | str | None) -> int:
    """Milliseconds since the epoch of a timestamp from an aggregate (naive or text on SQLite)."""
    if value is None:
        return 0
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def chat_changes(
    ctx: LaunchContext, space: Space, since: ChatState | None, *, load_authors: bool = True
) -> dict[str, Any]:
    """Messages after the cursor (or the latest page) and ids deleted since; marks them read.

    ``unread`` counts the messages of this answer the person had not read before it.
    """
    assert space.match is not None
    match_id = space.match.id
    query = sa.select(ChatMessage).where(ChatMessage.match_id == match_id)
    deleted: list[int] = []
    if since is None:
        # The latest page and the newest deletion in one round trip: together they are the state.
        other = aliased(ChatMessage)
        newest_deletion = (
            sa.select(sa.func.max(other.deleted_at)).where(other.match_id == match_id).scalar_subquery()
        )
        rows = db.session.execute(
            sa.select(ChatMessage, newest_deletion)
            .where(ChatMessage.match_id == match_id)
            .order_by(ChatMessage.id.desc())
            .limit(CHAT_PAGE_SIZE)
        ).all()
        messages = [r[0] for r in reversed(rows)]
        state = ChatState(messages[-1].id if messages else 0, _ms(rows[0][1]) if rows else 0)
    else:
        state = chat_state(match_id)
        messages = list(
            db.session.execute(
                query.where(ChatMessage.id > since.last_id).order_by(ChatMessage.id).limit(CHAT_PAGE_SIZE * 4)
            ).scalars()
        )
        if state.last_deleted_ms > since.last_deleted_ms:
            after = datetime.fromtimestamp(since.last_deleted_ms / 1000, tz=UTC)
            deleted = list(
                db.session.execute(
                    sa.select(ChatMessage.id).where(
                        ChatMessage.match_id == match_id,
                        ChatMessage.deleted_at > after,
                        ChatMessage.id <= since.last_id,
                    )
                ).scalars()
            )
        if messages and messages[-1].id < state.last_id:
            # More than one page arrived at once: the next poll continues from here.
            state = ChatState(messages[-1].id, since.last_deleted_ms)
    unread = 0
    if space.is_member:
        read = db.session.execute(
            sa.select(ChatRead).where(ChatRead.user_id == ctx.user_id, ChatRead.match_id == match_id)
        ).scalar_one_or_none()
        marker = read.last_read_message_id if read else 0
        unread = sum(
            1 for m in messages if m.id > marker and m.author_user_id != ctx.user_id and not m.deleted_at
        )
        if messages and marker < messages[-1].id:
            if read is None:
                db.session.add(
                    ChatRead(user_id=ctx.user_id, match_id=match_id, last_read_message_id=messages[-1].id)
                )
            else:
                read.last_read_message_id = messages[-1].id
            commit_read_state()
    return {
        "messages": messages,
        "deleted": deleted,
        "state": state,
        "unread": unread,
        "authors": users_by_id(m.author_user_id for m in messages) if load_authors else {},
    }


def chat_before(
    ctx: LaunchContext, match_id: int, before_id: int, limit: int = CHAT_PAGE_SIZE
) -> dict[str, Any]:
    """Older chat messages, for scrolling back."""
    match_space(ctx, match_id)
    messages = list(
        reversed(
            list(
                db.session.execute(
                    sa.select(ChatMessage)
                    .where(ChatMessage.match_id == match_id, ChatMessage.id < before_id)
                    .order_by(ChatMessage.id.desc())
                    .limit(limit)
                ).scalars()
            )
        )
    )
    return {"messages": messages, "authors": users_by_id(m.author_user_id for m in messages)}


def wait_for_chat(
    match_id: int,
    since: ChatState | None,
    known_etag: str | None,
    wait_seconds: float,
    *,
    check_interval: float,
    max_wait: float,
) -> tuple[ChatState, bool]:
    """Wait until the chat differs from what the caller has (cursor or ETag), or time runs out
    (``max_wait`` at most), looking every ``check_interval`` seconds.

    Returns the state and whether it changed. Between checks the connection goes back to the pool,
    so a waiting poll holds no database resources.
    """
    deadline = time.monotonic() + min(max(wait_seconds, 0.0), max_wait)
    while True:
        state = chat_state(match_id)
        if known_etag is not None:
            changed = state.etag != known_etag
        else:
            changed = since is None or (state.last_id, state.last_deleted_ms) != (
                since.last_id,
                since.last_deleted_ms,
            )
        if changed or time.monotonic() >= deadline:
            return state, changed
        db.session.rollback()
        time.sleep(min(check_interval, max(0.0, deadline - time.monotonic())))
