"""A survey's results for its coordinators: counts, means and distributions per item, each shown
only when at least ``min_group`` people answered it (:mod:`.privacy`); free text only from people
who agreed to share it, and without names when the survey is anonymous; a CSV of the aggregates.

Nothing here returns who answered what for an anonymous survey: the rows read carry no user.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import builder, privacy
from lti_tool.mentoring.surveys.models import ItemType, Survey, SurveyAnswer, SurveyItem, SurveyResponse
from lti_tool.mentoring.surveys.texts import local

ROLES = ("mentor", "mentee")
TEXT_TYPES = frozenset({ItemType.SHORT_TEXT, ItemType.LONG_TEXT})


@dataclass
class Figure:
    """The aggregate of one item (or one matrix row): ``hidden`` when too few answered."""

    n: int
    hidden: bool
    mean: float | None = None
    counts: list[tuple[str, int]] = field(default_factory=list)
    nps: float | None = None


@dataclass
class ItemResult:
    item: SurveyItem
    figure: Figure
    rows: list[tuple[str, Figure]] = field(default_factory=list)  # matrix: (row text, figure)
    texts: list[tuple[str, str | None]] = field(default_factory=list)  # (text, name or None)


@dataclass
class Results:
    survey: Survey
    min_group: int
    responses: int
    hidden: bool
    occasion: str | None
    role: str | None
    occasions: list[str]
    items: list[ItemResult]


def results(
    ctx: LaunchContext, survey_id: int, *, occasion: str | None = None, role: str | None = None
) -> Results:
    """The survey's results, within the privacy rule, optionally for one occasion kind or role."""
    survey = builder.get_survey(ctx, survey_id)
    programme = db.session.get_one(Programme, survey.programme_id)
    group = privacy.min_group(programme)
    responses = _responses(survey.id, occasion, role)
    total = db.session.execute(sa.select(sa.func.count()).select_from(responses.subquery())).scalar_one()
    hidden = not privacy.aggregate_allowed(total, programme)
    ids = responses.with_only_columns(SurveyResponse.id)
    numbers = _numbers(ids)
    choices = _choices(ids)
    written = _written(ids)
    items = []
    for item in builder.items_of(survey.id):
        texts = [] if hidden else _texts(survey, item, ids)
        figure = _figure(item, numbers.get((item.id, None), []), choices.get(item.id, []), programme)
        if item.type in TEXT_TYPES:
            n = written.get(item.id, 0)
            figure = Figure(n=n, hidden=not privacy.aggregate_allowed(n, programme))
        rows = [
            (local(row, "text"), _figure(item, numbers.get((item.id, row["key"]), []), [], programme))
            for row in item.rows or []
        ]
        if item.type is ItemType.MATRIX:
            n = max((f.n for _, f in rows), default=0)
            figure = Figure(n=n, hidden=not privacy.aggregate_allowed(n, programme))
        items.append(ItemResult(item, figure, rows, texts))
    occasions = sorted(
        {
            o.split(":", 1)[0]
            for o in db.session.execute(
                sa.select(SurveyResponse.occasion).where(SurveyResponse.survey_id == survey.id).distinct()
            ).scalars()
        }
    )
    return Results(survey, group, total, hidden, occasion, role, occasions, items)


def _responses(survey_id: int, occasion: str | None, role: str | None) -> sa.Select[Any]:
    query = sa.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey_id)
    if occasion:
        query = query.where(
            sa.or_(
                SurveyResponse.occasion == occasion,
                SurveyResponse.occasion.startswith(f"{occasion}:", autoescape=True),
            )
        )
    if role in ROLES:
        query = query.where(SurveyResponse.participant_role == role)
    return query


def _numbers(ids: sa.Select[Any]) -> dict[tuple[int, str | None], list[tuple[float, int]]]:
    """``{(item, row): [(value, count), ...]}`` of numeric answers, counted in the database."""
    out: dict[tuple[int, str | None], list[tuple[float, int]]] = {}
    for item_id, row_key, value, count in db.session.execute(
        sa.select(SurveyAnswer.item_id, SurveyAnswer.row_key, SurveyAnswer.value_num, sa.func.count())
        .where(SurveyAnswer.response_id.in_(ids), SurveyAnswer.value_num.is_not(None))
        .group_by(SurveyAnswer.item_id, SurveyAnswer.row_key, SurveyAnswer.value_num)
    ):
        if value is not None:
            out.setdefault((item_id, row_key), []).append((float(value), int(count)))
    return out


def _choices(ids: sa.Select[Any]) -> dict[int, list[list[str]]]:
    out: dict[int, list[list[str]]] = {}
    for item_id, chosen in db.session.execute(
        sa.select(SurveyAnswer.item_id, SurveyAnswer.value_choices).where(
            SurveyAnswer.response_id.in_(ids), SurveyAnswer.value_choices.is_not(None)
        )
    ):
        out.setdefault(item_id, []).append(list(chosen))
    return out


def _written(ids: sa.Select[Any]) -> dict[int, int]:
    """How many wrote an answer to each text item (shared or not: a count names nobody)."""
    return {
        item_id: int(count)
        for item_id, count in db.session.execute(
            sa.select(SurveyAnswer.item_id, sa.func.count())
            .where(SurveyAnswer.response_id.in_(ids), SurveyAnswer.value_text.is_not(None))
            .group_by(SurveyAnswer.item_id)
        )
    }


def _figure(
    item: SurveyItem, values: list[tuple[float, int]], chosen: list[list[str]], programme: Programme
) -> Figure:
    n = sum(count for _, count in values) + len(chosen)
    if not privacy.aggregate_allowed(n, programme):
        return Figure(n=n, hidden=True)
    if item.type in (ItemType.SINGLE, ItemType.MULTIPLE):
        tally = Counter(value for answer in chosen for value in answer)
        return Figure(
            n=n, hidden=False, counts=[(local(o, "label"), tally[o["value"]]) for o in item.options]
        )
    by_value = dict(values)
    low, high = (0, 10) if item.type is ItemType.NPS else (1, int((item.scale or {}).get("points", 5)))
    counts = [(str(v), by_value.get(float(v), 0)) for v in range(low, high + 1)]
    figure = Figure(n=n, hidden=False, counts=counts)
    if n:
        figure.mean = round(sum(v * c for v, c in values) / n, 2)
    if item.type is ItemType.NPS and n:
        promoters = sum(c for v, c in values if v >= 9)
        detractors = sum(c for v, c in values if v <= 6)
        figure.nps = round(100 * (promoters - detractors) / n, 1)
    return figure


def _texts(survey: Survey, item: SurveyItem, ids: sa.Select[Any]) -> list[tuple[str, str | None]]:
    """Free text of the people who agreed to share it; their names only when not anonymous."""
    if item.type not in TEXT_TYPES:
        return []
    if not privacy.show_names(survey):
        texts = db.session.execute(
            sa.select(SurveyAnswer.value_text)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyAnswer.item_id == item.id,
                SurveyAnswer.response_id.in_(ids),
                SurveyResponse.share_text.is_(True),
                SurveyAnswer.value_text.is_not(None),
            )
            .order_by(SurveyAnswer.value_text)  # not in the order given: that order could name people
        ).scalars()
        return [(str(text), None) for text in texts]
    rows = db.session.execute(
        sa.select(SurveyAnswer.value_text, User.name)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .outerjoin(User, User.id == SurveyResponse.user_id)
        .where(
            SurveyAnswer.item_id == item.id,
            SurveyAnswer.response_id.in_(ids),
            SurveyResponse.share_text.is_(True),
            SurveyAnswer.value_text.is_not(None),
        )
        .order_by(SurveyResponse.submitted_at)
    ).all()
    return [(str(text), name or _("(name not known)")) for text, name in rows]


def csv_export(found: Results) -> str:
    """The aggregates as CSV, one line per item, row and value; hidden figures say why. Cells that
    a spreadsheet would read as formulas are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Question"), _("Row"), _("Answers"), _("Mean"), _("Value"), _("Count")])
    hidden = _("fewer than %(n)d answers: hidden", n=found.min_group)
    for number, result in enumerate(found.items, 1):
        text = f"{number}. {local(result.item, 'text')}"
        figures = result.rows if result.item.type is ItemType.MATRIX else [("", result.figure)]
        for row, figure in figures:
            if figure.hidden or found.hidden:
                lines = [[text, row, "", "", hidden, ""]]
            elif result.item.type in TEXT_TYPES:
                lines = [[text, row, figure.n, "", "", ""]]
            else:
                mean = "" if figure.mean is None else figure.mean
                lines = [[text, row, figure.n, mean, value, count] for value, count in figure.counts]
            writer.writerows([privacy.safe_cell(cell) for cell in line] for line in lines)
    return out.getvalue()


def _figure_json(figure: Figure) -> dict[str, Any]:
    if figure.hidden:  # the same members as a shown figure, empty: clients read one shape
        return {"n": figure.n, "hidden": True, "mean": None, "nps": None, "counts": []}
    return {
        "n": figure.n,
        "hidden": False,
        "mean": figure.mean,
        "nps": figure.nps,
        "counts": [{"value": value, "count": count} for value, count in figure.counts],
    }


def as_json(found: Results) -> dict[str, Any]:
    """The results for the API (``schemas.SurveyResultsOut``): the same figures and rule as the
    page (no user ids, ever)."""
    return {
        "survey_id": found.survey.id,
        "anonymous": found.survey.anonymous,
        "min_group": found.min_group,
        "responses": found.responses,
        "hidden": found.hidden,
        "occasions": found.occasions,
        "items": [
            {
                "id": r.item.id,
                "type": r.item.type,
                "text": local(r.item, "text"),
                **_figure_json(r.figure),
                "rows": [{"text": text, **_figure_json(f)} for text, f in r.rows],
                "texts": [{"text": text, "name": name} for text, name in r.texts],
            }
            for r in found.items
        ],
    }
