"""The nudge ledger: one row per reminder sent to one person, whatever feature asked for it.

The weekly limit counts these rows, and ``(user_id, dedupe_key)`` is unique so that a reminder
raised twice (a second worker, a re-run of the daily task) is sent once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class Nudge(Base):
    """A reminder sent to one person (in the app, and by e-mail as they chose)."""

    __tablename__ = "nudge"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key"),
        # The rolling weekly count per person, and the match's history, read these.
        sa.Index("ix_nudge_user_sent", "user_id", "sent_at"),
        sa.Index("ix_nudge_match_sent", "match_id", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # What kind of reminder: "rhythm.quiet", "milestone.due", "goal.overdue", "profile.incomplete"...
    kind: Mapped[str] = mapped_column(sa.String(64))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(255))
    # Written in the recipient's language when sent (what they read, what the history shows).
    subject: Mapped[str] = mapped_column(sa.String(255))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    action_label: Mapped[str] = mapped_column(sa.String(255), default="")
    action_link: Mapped[str] = mapped_column(sa.String(1024))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notification.id", ondelete="SET NULL"))
