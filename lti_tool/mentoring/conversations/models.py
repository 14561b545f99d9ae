"""Threads, posts (with their revisions), chat messages and read markers.

A thread with a ``match_id`` lives in that match's private space; one without lives in the programme
forum. Rendered HTML is stored next to the Markdown source at write time, so reads never re-render.
Deletion keeps the row as a tombstone (body emptied, ``deleted_at`` set) so replies keep their place.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class ThreadKind(enum.StrEnum):
    DISCUSSION = "discussion"  # a topic in a match space
    ANNOUNCEMENT = "announcement"  # forum, coordinators only
    QUESTION = "question"  # forum, anyone


class Thread(Base):
    __tablename__ = "conversation_thread"
    __table_args__ = (
        sa.Index("ix_conversation_thread_space_activity", "programme_id", "match_id", "last_post_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ThreadKind] = mapped_column(sa.Enum(ThreadKind, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(sa.String(200))
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Denormalised so the thread list is one indexed query.
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_id: Mapped[int | None]
    post_count: Mapped[int] = mapped_column(default=0)


class Post(Base):
    """The opening post of a thread (``parent_id`` None) or a reply to a post of it."""

    __tablename__ = "conversation_post"
    __table_args__ = (
        sa.Index("ix_conversation_post_thread", "thread_id", "id"),
        sa.Index("ix_conversation_post_match_created", "match_id", "created_at", "id"),
        # The KPI dashboard's posts per week: the last weeks' posts only.
        sa.Index("ix_conversation_post_created", "created_at", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation_thread.id", ondelete="CASCADE"))
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("conversation_post.id", ondelete="SET NULL"))
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    # [{"url": ..., "title": ...}]: links attached to the post, shown under it.
    links: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    mentions: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    edit_count: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[datetime | None]
    deleted_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class PostRevision(Base):
    """A version of a post as it was before an edit: the visible edit history."""

    __tablename__ = "conversation_post_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation_post.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    links: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # When this version was written (the post's creation or a previous edit).
    written_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    editor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class ChatMessage(Base):
    __tablename__ = "chat_message"
    __table_args__ = (
        sa.Index("ix_chat_message_match", "match_id", "id"),
        sa.Index("ix_chat_message_match_created", "match_id", "created_at", "id"),
        # The newest deletion of a chat is part of its ETag: an index answers max() at once.
        sa.Index("ix_chat_message_match_deleted", "match_id", "deleted_at"),
        # The KPI dashboard's chat messages per week: the last weeks' messages only.
        sa.Index("ix_chat_message_created", "created_at", "match_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    mentions: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class ThreadRead(Base):
    """How far a person has read a thread."""

    __tablename__ = "conversation_thread_read"
    __table_args__ = (sa.UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation_thread.id", ondelete="CASCADE"), index=True
    )
    last_read_post_id: Mapped[int] = mapped_column(default=0)


class ChatRead(Base):
    """How far a person has read a match's chat."""

    __tablename__ = "chat_read"
    __table_args__ = (sa.UniqueConstraint("user_id", "match_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    # Newest message already announced by e-mail, so a reminder never repeats itself.
    last_notified_message_id: Mapped[int] = mapped_column(default=0)


class SpaceVisit(Base):
    """A person's visits to a space (``match:<id>`` or ``forum:<programme id>``).

    ``previous_visit_at`` is the start of the visit before the current one: what is newer is shown as
    "new since your last visit". A visit lasts while the person keeps coming back within
    :data:`~lti_tool.mentoring.conversations.read_state.VISIT_GAP`.
    """

    __tablename__ = "space_visit"
    __table_args__ = (sa.UniqueConstraint("user_id", "space_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    space_key: Mapped[str] = mapped_column(sa.String(64))
    visit_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_visit_at: Mapped[datetime | None]


#: What people read for the match history's built-in entry kinds; other features pass theirs to
#: :func:`lti_tool.mentoring.conversations.history.register_source`.
HISTORY_KIND_LABELS: dict[str, LazyString] = {
    "post": _l("post"),
    "chat": _l("chat message"),
    "decision": _l("matching decision"),
}
