"""The JSON shapes of the instruments API: an instrument as the catalogue describes it (in the
reader's language, items in both), and the survey adding it made; the views dump through the
schemas below, which the API document names."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from lti_tool.db import db
from lti_tool.mentoring.surveys.instruments.catalogue import WORDINGS, Instrument
from lti_tool.mentoring.surveys.models import Audience, ItemType, Survey, SurveyItem


def instrument_json(instrument: Instrument, added: Survey | None) -> dict[str, Any]:
    return {
        "key": instrument.key,
        "version": instrument.version,
        "name": instrument.name,
        "measures": instrument.measures,
        "audience": instrument.audience,
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
                "type": i.type,
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
        "audience": survey.audience,
        "items": [
            {
                "id": i.id,
                "key": i.key,
                "position": i.position,
                "type": i.type,
                "subscale": i.subscale,
                "reverse": i.reverse,
            }
            for i in items
        ],
    }


class InstrumentSubscaleOut(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    min_answered = fields.Integer(
        required=True, metadata={"description": "Answers needed for the sub-scale to have a score."}
    )
    items = fields.List(fields.String(), required=True, metadata={"description": "Its items' keys."})


class InstrumentTotalOut(Schema):
    label = fields.String(required=True)
    min_answered = fields.Integer(required=True)


class InstrumentItemOut(Schema):
    key = fields.String(required=True)
    type = fields.Enum(ItemType, by_value=True, required=True)
    text_en = fields.String(required=True)
    text_it = fields.String(required=True)
    subscale = fields.String(required=True, allow_none=True)
    reverse = fields.Boolean(required=True)
    required = fields.Boolean(required=True)


class InstrumentOut(Schema):
    """A ready-made instrument: what it measures, for whom, how it is scored, where it comes from."""

    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    measures = fields.String(required=True)
    audience = fields.Enum(Audience, by_value=True, required=True)
    wording = fields.String(
        required=True,
        validate=validate.OneOf(WORDINGS),
        metadata={"description": "Whose words: Ritmo's own items, or a question in common use."},
    )
    items_count = fields.Integer(required=True)
    subscales = fields.List(fields.Nested(InstrumentSubscaleOut), required=True)
    reverse_scored = fields.List(fields.String(), required=True)
    total = fields.Nested(InstrumentTotalOut, required=True, allow_none=True)
    citations = fields.List(fields.String(), required=True)
    source_url = fields.String(required=True, allow_none=True)
    terms = fields.String(required=True, metadata={"description": "What Ritmo may ship of it."})
    items = fields.List(fields.Nested(InstrumentItemOut), required=True)
    added_survey_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The programme's survey made from it."}
    )


class InstrumentListOut(Schema):
    instruments = fields.List(fields.Nested(InstrumentOut), required=True)


class InstrumentAddedItemOut(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True)
    type = fields.Enum(ItemType, by_value=True, required=True)
    subscale = fields.String(required=True, allow_none=True)
    reverse = fields.Boolean(required=True)


class InstrumentAddedOut(Schema):
    """The survey that adding an instrument made."""

    id = fields.Integer(required=True)
    programme_id = fields.Integer(required=True)
    instrument_key = fields.String(required=True)
    title_en = fields.String(required=True)
    title_it = fields.String(required=True)
    audience = fields.Enum(Audience, by_value=True, required=True)
    items = fields.List(fields.Nested(InstrumentAddedItemOut), required=True)
