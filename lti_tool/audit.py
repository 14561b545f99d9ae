"""Audit trail of decisions that matter (grades, matching, registrations): who, when, what, why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, db, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(64))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


def record(
    action: str, subject_type: str, subject_id: object, *, actor_user_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits or rolls back with the change."""
    event = AuditEvent(
        action=action, subject_type=subject_type, subject_id=str(subject_id),
        actor_user_id=actor_user_id, detail=detail,
    )
    db.session.add(event)
    return event
