"""An added instrument's items stay as shipped, so its scores keep their meaning.

Scores are only comparable across people and occasions (before and after) if everyone answered
the same items, so the wording, types, scales, scoring, order and the list of an instrument's items
are locked. What may change is when and how it is sent: title and introduction, schedule,
anonymity, whether an item must be answered, and archiving. The audience is part of the instrument
(a mentee's and a mentor's view are separate instruments) and is locked too.

The survey builder calls the ``check_*`` functions before it changes anything, for a clear
message; a flush listener (:func:`listen`) refuses the same changes from any other code path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from lti_tool.db import db, listen_once
from lti_tool.errors import Conflict
from lti_tool.mentoring.surveys.models import Survey, SurveyItem

#: Columns of an instrument's items that its scoring or comparability depend on.
LOCKED_ITEM_FIELDS = frozenset(
    {
        "survey_id",
        "type",
        "text_en",
        "text_it",
        "options",
        "scale",
        "rows",
        "subscale",
        "reverse",
        "key",
        "position",
    }
)
#: Columns of an instrument's survey that define what it measures and for whom.
LOCKED_SURVEY_FIELDS = frozenset({"audience", "instrument_key"})
_ADDING = "ritmo.surveys.adding_instrument_items"


class InstrumentLocked(Conflict):
    """A change that would make an instrument's scores mean something else."""

    def __init__(self, fields: list[str] | None = None) -> None:
        message = _(
            "The items of a ready-made instrument cannot be changed, added or removed: its scores "
            "would no longer mean the same. You can still change its title, introduction, schedule "
            "and anonymity, or build your own survey."
        )
        super().__init__(message, errors={f: [message] for f in fields} if fields else None)


def is_locked(survey: Survey) -> bool:
    return survey.instrument_key is not None


def check_survey_change(survey: Survey, changes: Mapping[str, Any]) -> None:
    """Refuse a change of an instrument's audience (or of which instrument it is)."""
    if is_locked(survey):
        touched = sorted(
            k for k, v in changes.items() if k in LOCKED_SURVEY_FIELDS and getattr(survey, k) != v
        )
        if touched:
            raise InstrumentLocked(touched)


def check_item_change(survey: Survey, item: SurveyItem, changes: Mapping[str, Any]) -> None:
    """Refuse a change to the wording, type, scale, order or scoring of an instrument's item."""
    if is_locked(survey):
        touched = sorted(k for k, v in changes.items() if k in LOCKED_ITEM_FIELDS and getattr(item, k) != v)
        if touched:
            raise InstrumentLocked(touched)


def check_items_added_or_removed(survey: Survey) -> None:
    """Refuse adding an item to, or removing one from, an instrument."""
    if is_locked(survey):
        raise InstrumentLocked()


@contextmanager
def adding_items() -> Iterator[None]:
    """The one place allowed to write an instrument's items: adding the instrument."""
    db.session.info[_ADDING] = True
    try:
        yield
    finally:
        db.session.info.pop(_ADDING, None)


def _instrument_survey(session: Session, survey_id: int | None) -> Survey | None:
    survey = session.get(Survey, survey_id) if survey_id is not None else None
    return survey if survey is not None and is_locked(survey) else None


def _was_or_is_instrument_item(session: Session, item: SurveyItem) -> bool:
    moved_from = inspect(item).attrs["survey_id"].history.deleted
    return any(_instrument_survey(session, i) for i in {item.survey_id, *moved_from})


def _changed_locked_columns(item: SurveyItem) -> list[str]:
    state = inspect(item)
    return sorted(name for name in LOCKED_ITEM_FIELDS if state.attrs[name].history.has_changes())


def _guard(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: no locked change to an instrument's survey or items gets written."""
    if session.info.get(_ADDING):
        return
    deleted_surveys = {s.id for s in session.deleted if isinstance(s, Survey)}
    for obj in session.new:
        if isinstance(obj, SurveyItem) and _instrument_survey(session, obj.survey_id):
            raise InstrumentLocked()
    for obj in session.deleted:
        deleting = isinstance(obj, SurveyItem) and obj.survey_id not in deleted_surveys
        if deleting and _instrument_survey(session, obj.survey_id):
            raise InstrumentLocked()
    for obj in session.dirty:
        if isinstance(obj, SurveyItem) and _was_or_is_instrument_item(session, obj):
            touched = _changed_locked_columns(obj)
            if touched:
                raise InstrumentLocked(touched)
        elif isinstance(obj, Survey) and obj.id is not None:
            state = inspect(obj)
            history = state.attrs["instrument_key"].history
            was_locked = bool(history.deleted and history.deleted[0]) or (
                not history.has_changes() and is_locked(obj)
            )
            touched = sorted(n for n in LOCKED_SURVEY_FIELDS if state.attrs[n].history.has_changes())
            if was_locked and touched:
                raise InstrumentLocked(touched)


def listen() -> None:
    listen_once(Session, "before_flush", _guard)
