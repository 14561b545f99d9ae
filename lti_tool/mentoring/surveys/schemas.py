"""Shapes of surveys, items, answers and settings at the boundary (API and forms).

Everything a coordinator types is checked here before the builder writes anything: a choice item
needs two options or more, a rating scale 2 to 11 points, a matrix rows; every text is stored as
plain text (markup stripped), in English and Italian, at least one of the two.
"""

from __future__ import annotations

from typing import Any

import nh3
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from lti_tool.mentoring.surveys.models import Audience, ItemType
from lti_tool.web import ID_RANGE

TITLE_MAX = 255
TEXT_MAX = 2000
LABEL_MAX = 255
OPTIONS_MAX = 30
ROWS_MAX = 30
ITEMS_MAX = 200
POINTS_MIN, POINTS_MAX = 2, 11
CHOICE_TYPES = frozenset({ItemType.SINGLE, ItemType.MULTIPLE})
SCALE_TYPES = frozenset({ItemType.LIKERT, ItemType.MATRIX})
KEY = validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$", error=_l("Use letters, digits, dots, dashes."))


def plain(value: str | None) -> str:
    """Text as a person typed it, without markup (templates escape it when shown)."""
    return nh3.clean(value or "", tags=set()).replace("\r\n", "\n").strip()


class Plain(fields.String):
    """A string stored as plain text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return plain(super()._deserialize(value, attr, data, **kwargs))


def _either(data: dict[str, Any], base: str) -> bool:
    return bool(data.get(f"{base}_en") or data.get(f"{base}_it"))


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class SurveyOptionIn(_In):
    value = fields.String(validate=KEY)
    label_en = Plain(load_default="", validate=validate.Length(max=LABEL_MAX))
    label_it = Plain(load_default="", validate=validate.Length(max=LABEL_MAX))

    @validates_schema
    def labelled(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not _either(data, "label"):
            raise ValidationError(_("Give each option a label in English or Italian."), "label_en")


class SurveyRowIn(_In):
    key = fields.String(validate=KEY)
    text_en = Plain(load_default="", validate=validate.Length(max=TEXT_MAX))
    text_it = Plain(load_default="", validate=validate.Length(max=TEXT_MAX))

    @validates_schema
    def worded(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not _either(data, "text"):
            raise ValidationError(_("Give each row a text in English or Italian."), "text_en")


class SurveyScaleIn(_In):
    points = fields.Integer(
        required=True,
        validate=validate.Range(POINTS_MIN, POINTS_MAX, error=_l("A rating scale has from 2 to 11 points.")),
    )
    min_label_en = Plain(load_default="", validate=validate.Length(max=LABEL_MAX))
    max_label_en = Plain(load_default="", validate=validate.Length(max=LABEL_MAX))
    min_label_it = Plain(load_default="", validate=validate.Length(max=LABEL_MAX))
    max_label_it = Plain(load_default="", validate=validate.Length(max=LABEL_MAX))


class SurveyIn(_In):
    title_en = Plain(load_default="", validate=validate.Length(max=TITLE_MAX))
    title_it = Plain(load_default="", validate=validate.Length(max=TITLE_MAX))
    intro_en = Plain(load_default="", validate=validate.Length(max=TEXT_MAX))
    intro_it = Plain(load_default="", validate=validate.Length(max=TEXT_MAX))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    anonymous = fields.Boolean(load_default=False)

    @validates_schema
    def titled(self, data: dict[str, Any], partial: Any = None, **kwargs: Any) -> None:
        touched = "title_en" in data or "title_it" in data
        if (touched or not partial) and not _either(data, "title"):
            raise ValidationError(_("Give the survey a title in English or Italian."), "title_en")


class SurveyItemIn(_In):
    type = fields.Enum(ItemType, by_value=True, required=True)
    text_en = Plain(load_default="", validate=validate.Length(max=TEXT_MAX))
    text_it = Plain(load_default="", validate=validate.Length(max=TEXT_MAX))
    required = fields.Boolean(load_default=True)
    options = fields.List(fields.Nested(SurveyOptionIn), load_default=list)
    scale = fields.Nested(SurveyScaleIn, load_default=None, allow_none=True)
    rows = fields.List(fields.Nested(SurveyRowIn), load_default=list)
    subscale = fields.String(load_default=None, allow_none=True, validate=KEY)
    reverse = fields.Boolean(load_default=False)
    key = fields.String(load_default=None, allow_none=True, validate=KEY)

    @validates_schema
    def fits_its_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        kind = data.get("type")
        if not _either(data, "text"):
            errors["text_en"] = [_("Write the question in English or Italian.")]
        if kind in CHOICE_TYPES:
            options = data.get("options") or []
            if len(options) < 2:
                errors["options"] = [_("A choice question needs at least two options.")]
            elif len(options) > OPTIONS_MAX:
                errors["options"] = [_("Keep it to %(n)d options or fewer.", n=OPTIONS_MAX)]
            elif _duplicates(o.get("value") for o in options):
                errors["options"] = [_("Two options have the same value.")]
        if kind in SCALE_TYPES and not data.get("scale"):
            errors["scale"] = [_("Say how many points the rating scale has (2 to 11).")]
        if kind is ItemType.MATRIX:
            rows = data.get("rows") or []
            if not rows:
                errors["rows"] = [_("A matrix needs at least one row.")]
            elif len(rows) > ROWS_MAX:
                errors["rows"] = [_("Keep it to %(n)d rows or fewer.", n=ROWS_MAX)]
            elif _duplicates(r.get("key") for r in rows):
                errors["rows"] = [_("Two rows have the same key.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def keyed(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Options and rows get stable keys when none is given; types drop what they do not use."""
        kind = data["type"]
        data["options"] = (
            [{**o, "value": o.get("value") or f"o{n}"} for n, o in enumerate(data["options"], 1)]
            if kind in CHOICE_TYPES
            else []
        )
        data["rows"] = (
            [{**r, "key": r.get("key") or f"r{n}"} for n, r in enumerate(data["rows"], 1)]
            if kind is ItemType.MATRIX
            else []
        )
        data["scale"] = data.get("scale") or {} if kind in SCALE_TYPES else {}
        return data


def _duplicates(values: Any) -> bool:
    seen = [v for v in values if v]
    return len(seen) != len(set(seen))


class SurveyReorderIn(_In):
    item_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(max=ITEMS_MAX))


class SurveySettingsIn(_In):
    min_group = fields.Integer(
        required=True,
        validate=validate.Range(3, 1000, error=_l("The smallest group is 3 people or more.")),
    )


class SurveyOpenNowIn(_In):
    days = fields.Integer(
        load_default=14, validate=validate.Range(1, 365, error=_l("Keep it open 1 to 365 days."))
    )


class SurveyResponseIn(_In):
    """One person's answers: ``{"answers": {item_id: value}, "share_text": bool}``.

    A value is a number (rating, NPS), an option value or a list of them (choices), a string
    (text), or ``{row_key: number}`` (matrix); the answering service checks each against its item.
    """

    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    share_text = fields.Boolean(load_default=False)

    @pre_load
    def from_form(self, data: Any, **kwargs: Any) -> Any:
        """A form posts ``item-<id>`` (one value or several) and ``item-<id>-<row>``."""
        if not hasattr(data, "getlist"):
            return data
        answers: dict[str, Any] = {}
        for name in data:
            if not name.startswith("item-"):
                continue
            item, _, row = name.removeprefix("item-").partition("-")
            values = [v for v in data.getlist(name) if v != ""]
            if row:
                answers.setdefault(item, {})[row] = values[0] if values else None
            else:
                answers[item] = values if len(values) > 1 else (values[0] if values else None)
        return {"answers": answers, "share_text": data.get("share_text") in ("on", "true", "1")}


class SurveyOptionOut(Schema):
    value = fields.String(required=True, metadata={"description": "What an answer names."})
    label_en = fields.String(required=True)
    label_it = fields.String(required=True)


class SurveyScaleOut(Schema):
    """A rating scale's points and end labels (an empty object for items without a scale)."""

    points = fields.Integer(validate=validate.Range(POINTS_MIN, POINTS_MAX))
    min_label_en = fields.String()
    max_label_en = fields.String()
    min_label_it = fields.String()
    max_label_it = fields.String()


class SurveyRowOut(Schema):
    key = fields.String(required=True, metadata={"description": "What a matrix answer names."})
    text_en = fields.String(required=True)
    text_it = fields.String(required=True)


class SurveyItemOut(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    type = fields.Enum(ItemType, by_value=True, required=True)
    text_en = fields.String(required=True)
    text_it = fields.String(required=True)
    required = fields.Boolean(required=True)
    options = fields.List(fields.Nested(SurveyOptionOut), required=True)
    scale = fields.Nested(SurveyScaleOut, required=True)
    rows = fields.List(fields.Nested(SurveyRowOut), required=True)
    subscale = fields.String(required=True, allow_none=True)
    reverse = fields.Boolean(required=True)
    key = fields.String(required=True, allow_none=True)


class SurveyOut(Schema):
    id = fields.Integer(required=True)
    title_en = fields.String(required=True)
    title_it = fields.String(required=True)
    intro_en = fields.String(required=True)
    intro_it = fields.String(required=True)
    audience = fields.Enum(Audience, by_value=True, required=True)
    anonymous = fields.Boolean(required=True)
    instrument_key = fields.String(
        required=True, allow_none=True, metadata={"description": "The ready-made instrument it came from."}
    )
    archived_at = fields.DateTime(required=True, allow_none=True)
    items = fields.List(fields.Nested(SurveyItemOut), required=True)


class SurveyListOut(Schema):
    surveys = fields.List(fields.Nested(SurveyOut), required=True)
    archived = fields.List(fields.Nested(SurveyOut), required=True)
    min_group = fields.Integer(required=True, metadata={"description": "The privacy rule's smallest group."})


class SurveySettingsOut(Schema):
    min_group = fields.Integer(
        required=True, metadata={"description": "Results are shown only when at least this many answered."}
    )


class SurveyInvitedOut(Schema):
    invited = fields.Integer(required=True, metadata={"description": "How many people were invited now."})


class SurveyItemsOut(Schema):
    items = fields.List(fields.Nested(SurveyItemOut), required=True)


class SurveyResultsQuery(_In):
    occasion = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "Only the answers of this kind of occasion (``baseline``, ``pulse``...)."},
    )
    role = fields.String(load_default=None, validate=validate.OneOf(("mentor", "mentee")))


class SurveyCountOut(Schema):
    value = fields.String(required=True, metadata={"description": "A scale point or an option's label."})
    count = fields.Integer(required=True)


class SurveyFigureOut(Schema):
    """An aggregate; ``hidden`` (no mean, no counts) when fewer than the smallest group answered."""

    n = fields.Integer(required=True, metadata={"description": "How many answered."})
    hidden = fields.Boolean(required=True)
    mean = fields.Float(required=True, allow_none=True)
    nps = fields.Float(required=True, allow_none=True, metadata={"description": "NPS items only."})
    counts = fields.List(fields.Nested(SurveyCountOut), required=True)


class SurveyResultRowOut(SurveyFigureOut):
    text = fields.String(required=True)


class SurveyTextOut(Schema):
    text = fields.String(required=True)
    name = fields.String(required=True, allow_none=True, metadata={"description": "Null when anonymous."})


class SurveyResultItemOut(SurveyFigureOut):
    id = fields.Integer(required=True)
    type = fields.Enum(ItemType, by_value=True, required=True)
    text = fields.String(required=True)
    rows = fields.List(fields.Nested(SurveyResultRowOut), required=True)
    texts = fields.List(
        fields.Nested(SurveyTextOut),
        required=True,
        metadata={"description": "Free text of those who agreed to share it."},
    )


class SurveyResultsOut(Schema):
    survey_id = fields.Integer(required=True)
    anonymous = fields.Boolean(required=True)
    min_group = fields.Integer(required=True)
    responses = fields.Integer(required=True)
    hidden = fields.Boolean(
        required=True, metadata={"description": "Too few responses: every figure hidden."}
    )
    occasions = fields.List(fields.String(), required=True)
    items = fields.List(fields.Nested(SurveyResultItemOut), required=True)


# --- a participant's side ------------------------------------------------------------------------


class SurveyAnswerQuery(_In):
    invitation = fields.Integer(
        load_default=None,
        validate=ID_RANGE,
        metadata={"description": "The occasion to answer; without it, the latest open invitation."},
    )


class SurveyMineEntryOut(Schema):
    survey_id = fields.Integer(required=True)
    invitation_id = fields.Integer(required=True)
    title = fields.String(required=True)
    occasion = fields.String(required=True)
    closes_at = fields.DateTime(required=True)
    open = fields.Boolean(required=True)
    answered = fields.Boolean(required=True)


class SurveyMineOut(Schema):
    surveys = fields.List(fields.Nested(SurveyMineEntryOut), required=True)


class SurveyAnswerFormOut(Schema):
    survey_id = fields.Integer(required=True)
    invitation_id = fields.Integer(required=True)
    title = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    open = fields.Boolean(required=True)
    closes_at = fields.DateTime(required=True)
    items = fields.List(fields.Nested(SurveyItemOut), required=True)
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "The caller's answers so far, by item id (the shapes of the body's)."},
    )
    share_text = fields.Boolean(required=True)


class SurveySavedOut(Schema):
    response_id = fields.Integer(required=True)
    saved = fields.String(required=True, metadata={"description": "A confirmation to show."})
