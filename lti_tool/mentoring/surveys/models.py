"""Surveys, their items, who is asked on which occasion, and the answers given.

A response belongs to one person and one occasion; its ``user_id`` is kept so the person can edit
and erase their answers, and is never shown to coordinators when the survey is anonymous.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.labels import LabelledEnum, labels


class ItemType(LabelledEnum):
    LIKERT = "likert"
    SINGLE = "single"
    MULTIPLE = "multiple"
    NPS = "nps"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    MATRIX = "matrix"


ITEM_TYPE_LABELS = labels(
    ItemType,
    {
        ItemType.LIKERT: _l("Rating scale (Likert)"),
        ItemType.SINGLE: _l("Single choice"),
        ItemType.MULTIPLE: _l("Multiple choice"),
        ItemType.NPS: _l("0-10 recommendation (NPS)"),
        ItemType.SHORT_TEXT: _l("Short text"),
        ItemType.LONG_TEXT: _l("Long text"),
        ItemType.MATRIX: _l("Matrix of rating rows"),
    },
)


class Audience(LabelledEnum):
    MENTORS = "mentors"
    MENTEES = "mentees"
    EVERYONE = "everyone"


AUDIENCE_LABELS = labels(
    Audience,
    {
        Audience.MENTORS: _l("Mentors"),
        Audience.MENTEES: _l("Mentees"),
        Audience.EVERYONE: _l("Mentors and mentees"),
    },
)


class Survey(TimestampMixin, Base):
    """A programme's questionnaire, written in English and Italian."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    title_en: Mapped[str] = mapped_column(sa.String(255), default="")
    title_it: Mapped[str] = mapped_column(sa.String(255), default="")
    intro_en: Mapped[str] = mapped_column(sa.Text, default="")
    intro_it: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[Audience] = mapped_column(
        sa.Enum(Audience, native_enum=False, length=16), default=Audience.EVERYONE
    )
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Set when the survey was added from a ready-made instrument.
    instrument_key: Mapped[str | None] = mapped_column(sa.String(64))
    # When it is sent (baseline, pulses, after meetings...): the schedules module owns the shape.
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    archived_at: Mapped[datetime | None]


class SurveyItem(Base):
    """One question of a survey; ``options``, ``scale`` and ``rows`` are used by the types that need them."""

    __tablename__ = "survey_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[ItemType] = mapped_column(sa.Enum(ItemType, native_enum=False, length=16))
    text_en: Mapped[str] = mapped_column(sa.Text, default="")
    text_it: Mapped[str] = mapped_column(sa.Text, default="")
    required: Mapped[bool] = mapped_column(default=True)
    # [{"value": "a", "label_en": ..., "label_it": ...}] for single and multiple choice.
    options: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # {"points": 5, "min_label_en": ..., "max_label_en": ..., "min_label_it": ..., "max_label_it": ...}
    scale: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [{"key": "r1", "text_en": ..., "text_it": ...}] for a matrix.
    rows: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # Scoring, for instruments: the sub-scale the item counts towards, and whether it is reversed.
    subscale: Mapped[str | None] = mapped_column(sa.String(64))
    reverse: Mapped[bool] = mapped_column(default=False)
    # A stable key within an instrument (survives re-ordering and translation).
    key: Mapped[str | None] = mapped_column(sa.String(64))


class SurveyInvitation(Base):
    """One person asked to answer one survey on one occasion, within a window."""

    __tablename__ = "survey_invitation"
    __table_args__ = (sa.UniqueConstraint("survey_id", "user_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="SET NULL"), index=True)
    # "baseline", "pulse:3", "meeting:17", "closing", "programme_end", "manual"...
    occasion: Mapped[str] = mapped_column(sa.String(64))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyResponse(Base):
    """One person's answers to one survey on one occasion."""

    __tablename__ = "survey_response"
    __table_args__ = (sa.Index("ix_survey_response_occasion", "survey_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_invitation.id", ondelete="SET NULL"), unique=True
    )
    occasion: Mapped[str] = mapped_column(sa.String(64))
    # Kept for editing and erasure; never shown to coordinators when the survey is anonymous.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Copied for aggregation by role ("mentor" / "mentee").
    participant_role: Mapped[str] = mapped_column(sa.String(16), default="")
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match.id", ondelete="SET NULL"))
    # The person agreed that coordinators may read their free-text answers.
    share_text: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyAnswer(Base):
    """One answer to one item (or one matrix row) of a response."""

    __tablename__ = "survey_answer"
    __table_args__ = (sa.Index("ix_survey_answer_item_value", "item_id", "value_num"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_item.id", ondelete="CASCADE"), index=True)
    row_key: Mapped[str | None] = mapped_column(sa.String(64))
    value_num: Mapped[float | None]
    value_text: Mapped[str | None] = mapped_column(sa.Text)
    value_choices: Mapped[list[Any] | None] = mapped_column(sa.JSON)
