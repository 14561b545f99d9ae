"""Content modules, their items and each person's progress through them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, TimestampMixin
from lti_tool.labels import LabelledEnum, labels
from lti_tool.mentoring.webinars.models import Audience


class ContentModule(TimestampMixin, Base):
    __tablename__ = "content_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[Audience] = mapped_column(
        sa.Enum(Audience, native_enum=False, length=16), default=Audience.EVERYONE
    )
    position: Mapped[int] = mapped_column(default=0)
    # Drafts are only visible to coordinators.
    published: Mapped[bool] = mapped_column(default=True)


class ItemKind(LabelledEnum):
    TEXT = "text"
    LINK = "link"
    VIDEO = "video"
    FILE = "file"


ITEM_KIND_LABELS = labels(
    ItemKind,
    {
        ItemKind.TEXT: _l("text"),
        ItemKind.LINK: _l("link"),
        ItemKind.VIDEO: _l("video"),
        ItemKind.FILE: _l("file"),
    },
)


class ContentItem(TimestampMixin, Base):
    """One piece of a module, or material attached to a webinar (or both)."""

    __tablename__ = "content_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("content_module.id", ondelete="CASCADE"), index=True
    )
    webinar_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("webinar.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ItemKind] = mapped_column(sa.Enum(ItemKind, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(sa.String(255))
    audience: Mapped[Audience] = mapped_column(
        sa.Enum(Audience, native_enum=False, length=16), default=Audience.EVERYONE
    )
    position: Mapped[int] = mapped_column(default=0)
    # TEXT: Markdown source.
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # LINK: the address; VIDEO: the address given, with ``embed_url`` derived from it.
    url: Mapped[str | None] = mapped_column(sa.String(1024))
    embed_url: Mapped[str | None] = mapped_column(sa.String(1024))
    # FILE: stored under DATA_DIR/uploads/<storage_name>; the name given is only shown.
    storage_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(128))
    size_bytes: Mapped[int | None]

    module: Mapped[ContentModule | None] = relationship()


class ContentProgress(Base):
    __tablename__ = "content_progress"
    __table_args__ = (sa.UniqueConstraint("item_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("content_item.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    viewed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
