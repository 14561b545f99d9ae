"""Questionnaire questions (per programme) and participants' answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool import translated
from lti_tool.db import Base, TimestampMixin, utcnow
from lti_tool.labels import LabelledEnum, labels


class QuestionKind(LabelledEnum):
    """What a question asks; each kind has its own answer shape and matching measure."""

    TAGS = "tags"  # skills/interests from the programme vocabulary: mentors offer, mentees want
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    LANGUAGES = "languages"
    TIMEZONE = "timezone"
    AVAILABILITY = "availability"  # weekly grid: list of [day 0-6, hour 0-23]
    LEVEL = "level"  # ordered options, lowest first (seniority)
    DEPARTMENT = "department"  # department or team, one of the options
    FREE_TEXT = "free_text"
    SCALE = "scale"  # 1 to 5


QUESTION_KIND_LABELS = labels(
    QuestionKind,
    {
        QuestionKind.TAGS: _l("tags (skills and interests)"),
        QuestionKind.SINGLE_CHOICE: _l("single choice"),
        QuestionKind.MULTI_CHOICE: _l("multiple choice"),
        QuestionKind.LANGUAGES: _l("languages"),
        QuestionKind.TIMEZONE: _l("time zone"),
        QuestionKind.AVAILABILITY: _l("weekly availability"),
        QuestionKind.LEVEL: _l("level"),
        QuestionKind.DEPARTMENT: _l("department or team"),
        QuestionKind.FREE_TEXT: _l("free text"),
        QuestionKind.SCALE: _l("scale from 1 to 5"),
    },
)


class Audience(LabelledEnum):
    """Who answers a question."""

    EVERYONE = "everyone"
    MENTORS = "mentors"
    MENTEES = "mentees"


AUDIENCE_LABELS = labels(
    Audience,
    {
        Audience.EVERYONE: _l("Everyone"),
        Audience.MENTORS: _l("Mentors"),
        Audience.MENTEES: _l("Mentees"),
    },
)


class Constraint(LabelledEnum):
    """Hard rules a question can impose on a pair."""

    MUST_SHARE = "must_share"
    MUST_DIFFER = "must_differ"
    AT_MOST = "at_most"


CONSTRAINT_LABELS = labels(
    Constraint,
    {
        Constraint.MUST_SHARE: _l("Must share"),
        Constraint.MUST_DIFFER: _l("Must differ"),
        Constraint.AT_MOST: _l("At most N apart"),
    },
)


class Question(TimestampMixin, Base):
    __tablename__ = "profile_question"
    __table_args__ = (sa.UniqueConstraint("programme_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(sa.Enum(QuestionKind, native_enum=False, length=16))
    label: Mapped[str] = mapped_column(sa.String(255))
    help: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[Audience] = mapped_column(
        sa.Enum(Audience, native_enum=False, length=16), default=Audience.EVERYONE
    )
    required: Mapped[bool] = mapped_column(default=False)
    # Choices, vocabulary (tags) or levels (lowest first), as shown to people.
    options: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Share of the matching score; 0 means the answer does not count towards the score.
    weight: Mapped[float] = mapped_column(default=0.0)
    constraint: Mapped[Constraint | None] = mapped_column(sa.Enum(Constraint, native_enum=False, length=16))
    # For AT_MOST: hours (time zone), levels or points; for availability MUST_SHARE: hours.
    limit: Mapped[float | None]
    # The label and help in each programme language (see :mod:`lti_tool.translated`).
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    @property
    def shown_label(self) -> str:
        return translated.shown(self.texts, "label", self.label)

    @property
    def shown_help(self) -> str:
        return translated.shown(self.texts, "help", self.help)

    @property
    def matters_for_matching(self) -> bool:
        return self.weight > 0 or self.constraint is not None


class Answer(Base):
    __tablename__ = "profile_answer"
    __table_args__ = (sa.UniqueConstraint("participant_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("profile_question.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    question: Mapped[Question] = relationship()
