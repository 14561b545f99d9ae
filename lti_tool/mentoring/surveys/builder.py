"""The survey builder: a programme's coordinators create, change, reorder and archive surveys and
their items. Input arrives checked by :mod:`.schemas`; here are the rules that need the database
(the survey is this programme's, an answered item keeps its type and scale) and the writes, each
in one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.access import current_programme
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import privacy
from lti_tool.mentoring.surveys.models import Survey, SurveyAnswer, SurveyItem
from lti_tool.mentoring.surveys.schemas import ITEMS_MAX

SURVEY_FIELDS = ("title_en", "title_it", "intro_en", "intro_it", "audience", "anonymous")
ITEM_FIELDS = (
    "type",
    "text_en",
    "text_it",
    "required",
    "options",
    "scale",
    "rows",
    "subscale",
    "reverse",
    "key",
)


def coordinator_programme(ctx: LaunchContext) -> Programme:
    """The caller's programme, for its coordinators only."""
    if not ctx.is_coordinator:
        raise Forbidden(_("Only the course's coordinators (instructors) can change surveys."))
    return current_programme(ctx)


def surveys_of(programme_id: int, *, archived: bool = False) -> list[Survey]:
    """The programme's surveys, newest first; archived ones only when asked."""
    query = sa.select(Survey).where(Survey.programme_id == programme_id)
    query = query.where(Survey.archived_at.is_not(None) if archived else Survey.archived_at.is_(None))
    return list(db.session.execute(query.order_by(Survey.id.desc())).scalars())


def survey_in(programme_id: int, survey_id: int) -> Survey:
    """A survey of this programme (404 otherwise: another programme's survey does not exist here)."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.programme_id != programme_id:
        raise NotFound(_("This survey does not exist in your programme."))
    return survey


def get_survey(ctx: LaunchContext, survey_id: int) -> Survey:
    return survey_in(coordinator_programme(ctx).id, survey_id)


def items_of(survey_id: int) -> list[SurveyItem]:
    return list(
        db.session.execute(
            sa.select(SurveyItem)
            .where(SurveyItem.survey_id == survey_id)
            .order_by(SurveyItem.position, SurveyItem.id)
        ).scalars()
    )


def create_survey(ctx: LaunchContext, data: dict[str, Any]) -> Survey:
    programme = coordinator_programme(ctx)
    survey = Survey(programme_id=programme.id, **{k: data[k] for k in SURVEY_FIELDS if k in data})
    db.session.add(survey)
    db.session.flush()
    audit.record("survey.created", "survey", survey.id, actor_user_id=ctx.user_id)
    db.session.commit()
    return survey


def update_survey(ctx: LaunchContext, survey_id: int, data: dict[str, Any]) -> Survey:
    survey = get_survey(ctx, survey_id)
    if "anonymous" in data and data["anonymous"] != survey.anonymous and _answered(survey.id):
        # People answered under one promise; changing it afterwards would break it.
        raise Conflict(_("People have answered already: whether the survey is anonymous cannot change now."))
    for name in SURVEY_FIELDS:
        if name in data:
            setattr(survey, name, data[name])
    if not (survey.title_en or survey.title_it):
        raise InvalidInput(errors={"title_en": [_("Give the survey a title in English or Italian.")]})
    db.session.commit()
    return survey


def archive_survey(ctx: LaunchContext, survey_id: int, *, archived: bool = True) -> Survey:
    """Archived surveys are no longer offered or sent; their answers and results stay."""
    survey = get_survey(ctx, survey_id)
    survey.archived_at = utcnow() if archived else None
    audit.record(
        "survey.archived" if archived else "survey.restored", "survey", survey.id, actor_user_id=ctx.user_id
    )
    db.session.commit()
    return survey


def add_item(ctx: LaunchContext, survey_id: int, data: dict[str, Any]) -> SurveyItem:
    survey = get_survey(ctx, survey_id)
    items = items_of(survey.id)
    if len(items) >= ITEMS_MAX:
        raise InvalidInput(_("A survey has at most %(n)d questions.", n=ITEMS_MAX))
    position = max((item.position for item in items), default=0) + 1
    item = SurveyItem(
        survey_id=survey.id, position=position, **{k: data[k] for k in ITEM_FIELDS if k in data}
    )
    db.session.add(item)
    db.session.commit()
    return item


def get_item(ctx: LaunchContext, survey_id: int, item_id: int) -> SurveyItem:
    survey = get_survey(ctx, survey_id)
    item = db.session.get(SurveyItem, item_id)
    if item is None or item.survey_id != survey.id:
        raise NotFound(_("This question does not exist in this survey."))
    return item


def update_item(ctx: LaunchContext, survey_id: int, item_id: int, data: dict[str, Any]) -> SurveyItem:
    """Replace an item's definition. Once answered, its type, scale and row keys stay: the answers
    given would otherwise be read against another question."""
    item = get_item(ctx, survey_id, item_id)
    if _item_answered(item.id) and (
        data["type"] is not item.type
        or (data.get("scale") or {}).get("points") != (item.scale or {}).get("points")
        or {r["key"] for r in data.get("rows") or []} != {r["key"] for r in item.rows or []}
        or not {o["value"] for o in item.options or []} <= {o["value"] for o in data.get("options") or []}
    ):
        raise Conflict(
            _(
                "People have answered this question: its type, scale, rows and options stay. "
                "Change the wording, or add a new question."
            )
        )
    for name in ITEM_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    db.session.commit()
    return item


def delete_item(ctx: LaunchContext, survey_id: int, item_id: int) -> None:
    item = get_item(ctx, survey_id, item_id)
    if _item_answered(item.id):
        raise Conflict(_("People have answered this question; archive the survey instead of deleting it."))
    db.session.delete(item)
    db.session.commit()


def reorder(ctx: LaunchContext, survey_id: int, item_ids: list[int]) -> list[SurveyItem]:
    """Put the survey's items in the order given; every item must be named once."""
    survey = get_survey(ctx, survey_id)
    items = {item.id: item for item in items_of(survey.id)}
    if sorted(item_ids) != sorted(items):
        raise InvalidInput(errors={"item_ids": [_("List every question of this survey once.")]})
    for position, item_id in enumerate(item_ids, 1):
        items[item_id].position = position
    db.session.commit()
    return items_of(survey.id)


def move_item(ctx: LaunchContext, survey_id: int, item_id: int, step: int) -> list[SurveyItem]:
    """Move one item up (``-1``) or down (``1``): the pages' reorder buttons."""
    order = [item.id for item in items_of(get_survey(ctx, survey_id).id)]
    if item_id not in order:
        raise NotFound(_("This question does not exist in this survey."))
    at = order.index(item_id)
    to = min(max(at + step, 0), len(order) - 1)
    order.insert(to, order.pop(at))
    return reorder(ctx, survey_id, order)


def set_min_group(ctx: LaunchContext, value: int) -> Programme:
    """The smallest group whose answers coordinators see in aggregate (never below 3)."""
    programme = coordinator_programme(ctx)
    value = max(privacy.FLOOR, value)
    programme.settings = {**(programme.settings or {}), privacy.MIN_GROUP_SETTING: value}
    audit.record("survey.min_group", "programme", programme.id, actor_user_id=ctx.user_id, value=value)
    db.session.commit()
    return programme


def _answered(survey_id: int) -> bool:
    return bool(
        db.session.execute(
            sa.select(SurveyAnswer.id)
            .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
            .where(SurveyItem.survey_id == survey_id)
            .limit(1)
        ).first()
    )


def _item_answered(item_id: int) -> bool:
    return bool(
        db.session.execute(sa.select(SurveyAnswer.id).where(SurveyAnswer.item_id == item_id).limit(1)).first()
    )
