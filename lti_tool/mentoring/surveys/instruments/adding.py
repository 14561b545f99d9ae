"""Adding a ready-made instrument to a programme in one click.

The added survey is an ordinary :class:`Survey` with ``instrument_key`` set and one
:class:`SurveyItem` per item of the instrument, in both languages, with its sub-scale, reverse flag
and key. From then on its items are locked (:mod:`.locks`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db
from lti_tool.errors import Conflict, Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys.instruments import locks
from lti_tool.mentoring.surveys.instruments.catalogue import Instrument, get
from lti_tool.mentoring.surveys.models import Survey, SurveyItem


def instrument(key: str) -> Instrument:
    found = get(key)
    if found is None:
        raise NotFound(_("There is no ready-made instrument called “%(key)s”.", key=key))
    return found


def added(programme: Programme) -> dict[str, Survey]:
    """The programme's live (not archived) surveys made from an instrument, by instrument key."""
    rows = db.session.execute(
        sa.select(Survey)
        .where(
            Survey.programme_id == programme.id,
            Survey.instrument_key.is_not(None),
            Survey.archived_at.is_(None),
        )
        .order_by(Survey.id)
    ).scalars()
    return {str(s.instrument_key): s for s in rows}


def add_instrument(ctx: LaunchContext, programme: Programme, key: str) -> Survey:
    """Create the programme's survey from instrument ``key`` (coordinators only); once per
    programme while the earlier one is not archived, so a double click adds one survey."""
    if not ctx.is_coordinator or programme.course_id != ctx.course_id:
        raise Forbidden(_("Only the programme's coordinators can add instruments."))
    chosen = instrument(key)
    if key in added(programme):
        raise Conflict(
            _(
                "This programme already has “%(name)s”. Archive that survey first to add it again.",
                name=chosen.name,
            )
        )
    survey = Survey(
        programme_id=programme.id,
        title_en=chosen.name_en,
        title_it=chosen.name_it,
        intro_en=chosen.measures_en,
        intro_it=chosen.measures_it,
        audience=chosen.audience,
        anonymous=False,
        instrument_key=chosen.key,
        schedule={},
    )
    db.session.add(survey)
    db.session.flush()
    with locks.adding_items():
        db.session.add_all(_items(survey, chosen))
        db.session.flush()
    audit.record(
        "survey.instrument_added",
        "survey",
        survey.id,
        actor_user_id=ctx.user_id,
        instrument=chosen.key,
        version=chosen.version,
        programme_id=programme.id,
    )
    db.session.commit()
    return survey


def _items(survey: Survey, chosen: Instrument) -> list[SurveyItem]:
    scale = dict(chosen.scale)
    return [
        SurveyItem(
            survey_id=survey.id,
            position=position,
            type=item.type,
            text_en=item.text_en,
            text_it=item.text_it,
            required=item.required,
            options=[],
            scale=scale if item.subscale is not None else {},
            rows=[],
            subscale=item.subscale,
            reverse=item.reverse,
            key=item.key,
        )
        for position, item in enumerate(chosen.items, start=1)
    ]
