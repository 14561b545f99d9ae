"""Support requests and their messages, the people who answer them, and the programme's help pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, utcnow
from lti_tool.labels import LabelledEnum, labels

SUBJECT_MAX = 200  # a forum topic's title limit (conversations.cleaning.TITLE_MAX)
QUESTION_MAX = 300
ANSWER_MAX = 20_000


class RequestStatus(LabelledEnum):
    """Open: the requester waits for an answer. Answered: support replied last. Closed: done (a new
    message from the requester opens it again)."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


REQUEST_STATUS_LABELS = labels(
    RequestStatus,
    {
        RequestStatus.OPEN: _l("waiting for an answer"),
        RequestStatus.ANSWERED: _l("answered"),
        RequestStatus.CLOSED: _l("closed"),
    },
)


class SupportRequest(Base):
    """A participant's private request for help, seen only by them and the programme's support."""

    __tablename__ = "support_request"
    __table_args__ = (sa.Index("ix_support_request_programme_status", "programme_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    requester_user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The relationship it is about, if any: its exchanges then join that match's history (for the
    # requester and support only, never for the partner).
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX))
    status: Mapped[RequestStatus] = mapped_column(
        sa.Enum(RequestStatus, native_enum=False, length=16), default=RequestStatus.OPEN
    )
    assignee_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The response-time target of the requester's message that waits for an answer: set when the
    # request (re)opens, cleared by support's reply. The reminder stamps belong to that wait only.
    due_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    messages: Mapped[list[SupportMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="SupportMessage.id"
    )


class SupportMessage(Base):
    """One message of a request's thread; bodies are Markdown, stored with their sanitised HTML."""

    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_request.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Whether support wrote it (a coordinator or support staff), as opposed to the requester.
    from_support: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    # [{"url": ..., "title": ...}]: attachments as links, checked like a post's links.
    links: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="messages")


class SupportStaff(Base):
    """A programme participant the coordinators named to answer support requests with them."""

    __tablename__ = "support_staff"
    __table_args__ = (sa.UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    added_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqEntry(Base):
    """A question and its answer on the programme's help page, in English and Italian.

    Either language may be blank; readers see theirs and fall back to the other.
    """

    __tablename__ = "faq_entry"
    __table_args__ = (sa.Index("ix_faq_entry_programme_position", "programme_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    question_en: Mapped[str] = mapped_column(sa.String(QUESTION_MAX), default="")
    question_it: Mapped[str] = mapped_column(sa.String(QUESTION_MAX), default="")
    answer_en: Mapped[str] = mapped_column(sa.Text, default="")
    answer_it: Mapped[str] = mapped_column(sa.Text, default="")
    answer_en_html: Mapped[str] = mapped_column(sa.Text, default="")
    answer_it_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
