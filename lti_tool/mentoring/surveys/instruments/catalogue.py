"""The ready-made instruments: one JSON file each beside this module, read and checked once.

A file holds an instrument's items in English and Italian, how they are scored (sub-scales, items
scored in reverse, how many answers a score needs), the sources it is modelled on and what Ritmo
may ship of it. Items are data, not interface text: like a coordinator's own survey, they are
stored in both languages on the survey's rows. A malformed file stops the app at start-up
(:func:`check`) rather than surfacing when a coordinator clicks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lti_tool.mentoring.surveys.models import Audience, ItemType

HERE = Path(__file__).resolve().parent
KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")
SCORED_TYPES = (ItemType.LIKERT, ItemType.NPS)
NPS_POINTS = 11  # 0 to 10
#: What the wording of the items is: Ritmo's own, or a question in common public use.
WORDINGS = ("ritmo", "common")


class CatalogueError(ValueError):
    """An instrument file that cannot be shipped as it is (a bug in Ritmo, found at start-up)."""


def _text() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=2000))


class _ScaleSchema(Schema):
    points = fields.Integer(required=True, validate=validate.Range(min=2, max=NPS_POINTS))
    min_label_en = _text()
    max_label_en = _text()
    min_label_it = _text()
    max_label_it = _text()


class _SubscaleSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    label_en = _text()
    label_it = _text()
    min_answered = fields.Integer(required=True, validate=validate.Range(min=1))


class _TotalSchema(Schema):
    label_en = _text()
    label_it = _text()
    min_answered = fields.Integer(required=True, validate=validate.Range(min=1))


class _ItemSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    type = fields.Enum(ItemType, by_value=True, required=True)
    text_en = _text()
    text_it = _text()
    subscale = fields.String(load_default=None, validate=KEY)
    reverse = fields.Boolean(load_default=False)
    required = fields.Boolean(load_default=True)


class _InstrumentSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    position = fields.Integer(required=True)
    name_en = _text()
    name_it = _text()
    measures_en = _text()
    measures_it = _text()
    audience = fields.Enum(Audience, by_value=True, required=True)
    wording = fields.String(required=True, validate=validate.OneOf(WORDINGS))
    citations = fields.List(_text(), required=True, validate=validate.Length(min=1))
    source_url = fields.String(load_default="")
    terms_en = _text()
    terms_it = _text()
    scale = fields.Nested(_ScaleSchema, required=True)
    subscales = fields.List(fields.Nested(_SubscaleSchema), required=True, validate=validate.Length(min=1))
    total = fields.Nested(_TotalSchema, load_default=None, allow_none=True)
    items = fields.List(fields.Nested(_ItemSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _scoring_adds_up(self, data: dict[str, Any], **_: Any) -> None:
        for problem in _scoring_problems(data):
            raise ValidationError(problem)


def _scoring_problems(data: dict[str, Any]) -> list[str]:
    """What makes an instrument unscorable: unknown or empty sub-scales, minimums out of reach,
    reverse scoring of an item that is not a rating, an NPS scale that is not 0-10..."""
    problems = []
    items = data["items"]
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        problems.append("item keys must be unique")
    subscales = {s["key"]: s for s in data["subscales"]}
    if len(subscales) != len(data["subscales"]):
        problems.append("sub-scale keys must be unique")
    scored = [item for item in items if item["subscale"] is not None]
    for item in items:
        if item["subscale"] is not None and item["subscale"] not in subscales:
            problems.append(f"item {item['key']} names an unknown sub-scale {item['subscale']}")
        if item["subscale"] is not None and item["type"] not in SCORED_TYPES:
            problems.append(f"item {item['key']} is a {item['type'].value}: only ratings are scored")
        if item["reverse"] and item["type"] is not ItemType.LIKERT:
            problems.append(f"item {item['key']}: only rating-scale items can be scored in reverse")
    for key, subscale in subscales.items():
        members = [item for item in scored if item["subscale"] == key]
        if subscale["min_answered"] > len(members):
            problems.append(
                f"sub-scale {key} needs {subscale['min_answered']} answers of {len(members)} items"
            )
        if len({item["type"] for item in members}) > 1:
            problems.append(f"sub-scale {key} mixes NPS and rating items")
    if data["total"] is not None and data["total"]["min_answered"] > len(scored):
        problems.append("the total needs more answers than there are scored items")
    has_nps = any(item["type"] is ItemType.NPS for item in items)
    if has_nps and data["scale"]["points"] != NPS_POINTS:
        problems.append("an NPS item is asked on 0-10: the scale must have 11 points")
    if has_nps and any(item["type"] is ItemType.LIKERT for item in items):
        problems.append("one scale per instrument: NPS and rating items cannot share it")
    if has_nps and data["total"] is not None:
        problems.append("an NPS score has no total")
    return problems


@dataclass(frozen=True)
class Subscale:
    key: str
    label_en: str
    label_it: str
    min_answered: int

    @property
    def label(self) -> str:
        return localised(self, "label")


@dataclass(frozen=True)
class InstrumentItem:
    key: str
    type: ItemType
    text_en: str
    text_it: str
    subscale: str | None
    reverse: bool
    required: bool


@dataclass(frozen=True)
class Instrument:
    key: str
    version: int
    position: int
    name_en: str
    name_it: str
    measures_en: str
    measures_it: str
    audience: Audience
    wording: str
    citations: tuple[str, ...]
    source_url: str
    terms_en: str
    terms_it: str
    scale: dict[str, Any]
    subscales: tuple[Subscale, ...]
    total: Subscale | None
    items: tuple[InstrumentItem, ...]

    @property
    def name(self) -> str:
        return localised(self, "name")

    @property
    def measures(self) -> str:
        return localised(self, "measures")

    @property
    def terms(self) -> str:
        return localised(self, "terms")

    @property
    def scored_items(self) -> tuple[InstrumentItem, ...]:
        return tuple(item for item in self.items if item.subscale is not None)

    @property
    def reversed_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items if item.reverse)


#: The key of the total among an instrument's scores (sub-scale keys may not take it).
TOTAL = "total"


def localised(thing: object, field: str) -> str:
    """``thing.<field>_it`` for an Italian reader, ``thing.<field>_en`` otherwise."""
    language = str(get_locale() or "en").split("_")[0]
    return str(getattr(thing, f"{field}_it" if language == "it" else f"{field}_en"))


def parse(data: Any, origin: str = "instrument") -> Instrument:
    """An instrument from its JSON data, or :class:`CatalogueError` saying what is wrong."""
    try:
        loaded = _InstrumentSchema().load(data)
    except ValidationError as error:
        raise CatalogueError(f"{origin}: {error.messages}") from error
    if any(s["key"] == TOTAL for s in loaded["subscales"]):
        raise CatalogueError(f"{origin}: a sub-scale may not be called {TOTAL!r}")
    total = loaded["total"]
    return Instrument(
        **{k: v for k, v in loaded.items() if k not in ("citations", "subscales", "total", "items")},
        citations=tuple(loaded["citations"]),
        subscales=tuple(Subscale(**s) for s in loaded["subscales"]),
        total=Subscale(key=TOTAL, **total) if total else None,
        items=tuple(InstrumentItem(**item) for item in loaded["items"]),
    )


def load_directory(directory: Path) -> dict[str, Instrument]:
    """Every ``*.json`` of ``directory``, by key, in the order of their ``position``; an
    instrument's key must be its file's name."""
    found: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CatalogueError(f"{path.name}: {error}") from error
        instrument = parse(data, path.name)
        if instrument.key != path.stem:
            raise CatalogueError(f"{path.name}: its key is {instrument.key!r}, not {path.stem!r}")
        found[instrument.key] = instrument
    return dict(sorted(found.items(), key=lambda pair: (pair[1].position, pair[0])))


@cache
def instruments() -> dict[str, Instrument]:
    """The catalogue Ritmo ships (read once per process)."""
    return load_directory(HERE)


def get(key: str | None) -> Instrument | None:
    return instruments().get(key) if key else None


def check() -> None:
    """Read the whole catalogue now: called from ``init_app`` so a broken file fails the start."""
    if not instruments():
        raise CatalogueError(f"no instrument files in {HERE}")
