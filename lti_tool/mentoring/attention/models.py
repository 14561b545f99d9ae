"""The record of who acted on the attention list: one row per action a coordinator took."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow

#: Column lengths: a source's name, an item's key and an action's name.
SOURCE_MAX = 64
KEY_MAX = 128
ACTION_MAX = 64
NOTE_MAX = 500
TITLE_MAX = 255
LABEL_MAX = 128


class AttentionAction(Base):
    """A coordinator pressed one of an item's actions (``"Anna retried this 2 hours ago"``).

    Kept after the item is gone, so the list can say who dealt with what; ``result`` is what the
    source answered, in the actor's language, and ``note`` what the actor wrote, if anything. The
    item's title and the action's label are kept as the actor read them, to name what was done once
    the item has left the list.
    """

    __tablename__ = "attention_action"
    __table_args__ = (sa.Index("ix_attention_action_item", "programme_id", "source", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(SOURCE_MAX))
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX))
    action: Mapped[str] = mapped_column(sa.String(ACTION_MAX))
    action_label: Mapped[str] = mapped_column(sa.String(LABEL_MAX), default="")
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), default="")
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
