"""The JSON shapes of the instruments API: an instrument as the catalogue describes it (in the
reader's language, items in both), and the survey adding it made."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.surveys.instruments.catalogue import Instrument
from lti_tool.mentoring.surveys.models import Survey, SurveyItem


def instrument_json(instrument: Instrument, added: Survey | None) -> dict[str, Any]:
    return {
        "key": instrument.key,
        "version": instrument.version,
        "name": instrument.name,
        "measures": instrument.measures,
        "audience": instrument.audience.value,
        "wording": instrument.wording,
        "items_count": len(instrument.items),
        "subscales": [
            {
                "key": s.key,
                "label": s.label,
                "min_answered": s.min_answered,
                "items": [i.key for i in instrument.items if i.subscale == s.key],
            }
            for s in instrument.subscales
        ],
        "reverse_scored": list(instrument.reversed_keys),
        "total": None
        if instrument.total is None
        else {"label": instrument.total.label, "min_answered": instrument.total.min_answered},
        "citations": list(instrument.citations),
        "source_url": instrument.source_url or None,
        "terms": instrument.terms,
        "items": [
            {
                "key": i.key,
                "type": i.type.value,
                "text_en": i.text_en,
                "text_it": i.text_it,
                "subscale": i.subscale,
                "reverse": i.reverse,
                "required": i.required,
            }
            for i in instrument.items
        ],
        "added_survey_id": added.id if added is not None else None,
    }


def added_json(survey: Survey) -> dict[str, Any]:
    items = db.session.execute(
        sa.select(SurveyItem).where(SurveyItem.survey_id == survey.id).order_by(SurveyItem.position)
    ).scalars()
    return {
        "id": survey.id,
        "programme_id": survey.programme_id,
        "instrument_key": survey.instrument_key,
        "title_en": survey.title_en,
        "title_it": survey.title_it,
        "audience": survey.audience.value,
        "items": [
            {
                "id": i.id,
                "key": i.key,
                "position": i.position,
                "type": i.type.value,
                "subscale": i.subscale,
                "reverse": i.reverse,
            }
            for i in items
        ],
    }
