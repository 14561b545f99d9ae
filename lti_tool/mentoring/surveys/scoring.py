"""Scores of one response: a mean per sub-scale, and the programme's NPS over many responses.

An item counts towards the sub-scale its ``subscale`` names. A rating scored in reverse counts as
``points + 1 - value`` (on 1-5, a 1 counts as 5). A sub-scale's score is the mean of the items
the person answered, and ``None`` when they answered fewer than the sub-scale's minimum: a mean of
one answer out of five says little, and a missing score is better than a misleading one. The
minimums of a ready-made instrument are in its catalogue file; a survey built by hand needs half of
a sub-scale's items (rounded up). Instruments that declare a total also get ``"total"``: the mean
of all their scored items, with its own minimum.

The 0-10 recommendation question is scored per person as the answer itself; over people it gives
the Net Promoter Score: the percentage answering 9 or 10 minus the percentage answering 0 to 6.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.surveys.instruments import catalogue
from lti_tool.mentoring.surveys.models import ItemType, Survey, SurveyItem

DEFAULT_POINTS = 5
NPS_MAX = 10
PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6
TOTAL = catalogue.TOTAL


@dataclass(frozen=True)
class Rule:
    """How one sub-scale (or the total) is scored: its items and the answers it needs."""

    key: str
    item_ids: tuple[int, ...]
    min_answered: int


def scored_items(survey: Survey) -> list[SurveyItem]:
    """The survey's items that count towards a sub-scale, in order."""
    return list(
        db.session.execute(
            sa.select(SurveyItem)
            .where(SurveyItem.survey_id == survey.id, SurveyItem.subscale.is_not(None))
            .order_by(SurveyItem.position, SurveyItem.id)
        ).scalars()
    )


def rules(survey: Survey, items: Sequence[SurveyItem]) -> list[Rule]:
    """The sub-scales of ``survey`` in order of first appearance, with the total if its instrument
    has one; minimums from the instrument, else half of each sub-scale's items."""
    instrument = catalogue.get(survey.instrument_key)
    declared = {s.key: s.min_answered for s in instrument.subscales} if instrument else {}
    by_subscale: dict[str, list[int]] = {}
    for item in items:
        if item.subscale is not None:
            by_subscale.setdefault(item.subscale, []).append(item.id)
    out = [
        Rule(key, tuple(ids), min(len(ids), declared.get(key, math.ceil(len(ids) / 2))))
        for key, ids in by_subscale.items()
    ]
    if instrument is not None and instrument.total is not None:
        every = tuple(item.id for item in items if item.subscale is not None)
        out.append(Rule(TOTAL, every, min(len(every), instrument.total.min_answered)))
    return out


def item_value(item: SurveyItem, value: float) -> float:
    """One answer as it counts: checked against the item's scale, reversed where the item says."""
    if item.type is ItemType.NPS:
        if not 0 <= value <= NPS_MAX:
            raise ValueError(f"item {item.id}: {value} is not on 0-{NPS_MAX}")
        return float(value)
    points = int((item.scale or {}).get("points", DEFAULT_POINTS))
    if not 1 <= value <= points:
        raise ValueError(f"item {item.id}: {value} is not on 1-{points}")
    return float(points + 1 - value) if item.reverse else float(value)


def score_items(
    items: Sequence[SurveyItem], rules_: Iterable[Rule], answers_by_item: Mapping[int, float | None]
) -> dict[str, float | None]:
    """The scores of one response, without touching the database (``items`` as scored)."""
    counted = {
        item.id: item_value(item, float(value))
        for item in items
        if (value := answers_by_item.get(item.id)) is not None
    }
    out: dict[str, float | None] = {}
    for rule in rules_:
        values = [counted[i] for i in rule.item_ids if i in counted]
        out[rule.key] = sum(values) / len(values) if len(values) >= rule.min_answered else None
    return out


def score(survey: Survey, answers_by_item: Mapping[int, float | None]) -> dict[str, float | None]:
    """One person's scores on ``survey``: ``{sub-scale: mean or None}`` (and ``"total"`` where
    the instrument has one). ``answers_by_item`` maps an item's id to the number answered
    (``SurveyAnswer.value_num``); unanswered items are absent or ``None``."""
    items = scored_items(survey)
    return score_items(items, rules(survey, items), answers_by_item)


def nps(values: Iterable[float | None]) -> float | None:
    """The Net Promoter Score of 0-10 answers: % of 9-10 minus % of 0-6, from -100 to 100;
    ``None`` with no answers."""
    answered = [v for v in values if v is not None]
    if not answered:
        return None
    promoters = sum(1 for v in answered if v >= PROMOTER_FROM)
    detractors = sum(1 for v in answered if v <= DETRACTOR_UP_TO)
    return 100.0 * (promoters - detractors) / len(answered)
