"""A programme's milestones: what its coordinator sets (title, due date, points, how it completes).

Members read them; coordinators create, change and delete them, and choose whether a total over the
graded milestones goes to its own gradebook column. A change that moves points re-sends the scores
already given (see :mod:`.gradebook`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit, translated
from lti_tool.db import db
from lti_tool.errors import Forbidden, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.goals.gradebook import (
    GRADE_TOTAL_SETTING,
    MILESTONE_RESOURCE_ID,
    MILESTONE_TAG,
    TOTAL_RESOURCE_ID,
    TOTAL_TAG,
    TOTAL_TARGET,
    follow_milestone,
    follow_total,
    resync_milestone,
    resync_totals,
    total_label,
)
from lti_tool.mentoring.goals.models import RULE_EVENTS, CompletionMode, Milestone
from lti_tool.mentoring.matching.access import current_programme
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.programmes.service import participant_for

MAX_POINTS = 1000.0
MAX_RULE_COUNT = 10_000
MAX_OFFSET_DAYS = 3650
#: Longest note (on a completion or a goal) kept, in characters.
NOTE_MAX = 5000


def clean(text: str | None) -> str:
    """User text is stored as plain text: markup stripped, rendered escaped by the templates."""
    return nh3.clean(text or "", tags=set()).strip()


def coordinator_programme(ctx: LaunchContext) -> Programme:
    """The caller's programme, for its coordinators only (403 for anyone else)."""
    if not ctx.is_coordinator:
        raise Forbidden(_("Only the course's coordinators (instructors) can do this."))
    return current_programme(ctx)



def list_milestones(programme_id: int) -> list[Milestone]:
    return list(
        db.session.execute(
            sa.select(Milestone)
            .where(Milestone.programme_id == programme_id)
            .order_by(Milestone.position, Milestone.id)
        ).scalars()
    )


def programme_milestones(ctx: LaunchContext) -> tuple[Programme, list[Milestone]]:
    programme = current_programme(ctx)
    if not ctx.is_coordinator and participant_for(programme.id, ctx.user_id) is None:
        raise Forbidden(_("You are not part of this programme. Open Ritmo from the course page first."))
    return programme, list_milestones(programme.id)


def get_milestone(ctx: LaunchContext, milestone_id: int) -> Milestone:
    programme = current_programme(ctx)
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.programme_id != programme.id:
        raise NotFound(_("This milestone does not exist in your programme."))
    return milestone


def create_milestone(ctx: LaunchContext, data: dict[str, Any]) -> Milestone:
    programme = coordinator_programme(ctx)
    position = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(Milestone.position), 0)).where(
            Milestone.programme_id == programme.id
        )
    ).scalar_one()
    milestone = Milestone(
        programme_id=programme.id, position=position + 1, title="", description="", evidence="",
        graded=False, points=0.0, completion_mode=CompletionMode.MANUAL, requires_confirmation=True,
        rule_count=1,
    )
    _apply_milestone(milestone, data, creating=True)
    db.session.add(milestone)
    db.session.flush()
    audit.record("milestone.create", "milestone", milestone.id, actor_user_id=ctx.user_id,
                 title=milestone.title, graded=milestone.graded, points=milestone.points)
    resync_totals(programme, ctx.user_id)
    follow_total(programme)
    db.session.commit()
    return milestone


def update_milestone(ctx: LaunchContext, milestone_id: int, data: dict[str, Any]) -> Milestone:
    coordinator_programme(ctx)
    milestone = get_milestone(ctx, milestone_id)
    grading_before = (milestone.graded, milestone.points, milestone.title)
    _apply_milestone(milestone, data, creating=False)
    audit.record("milestone.update", "milestone", milestone.id, actor_user_id=ctx.user_id,
                 changes=sorted(data))
    if grading_before != (milestone.graded, milestone.points, milestone.title):
        # Points or grading changed: every learner's column gets the corrected score.
        resync_milestone(milestone, ctx.user_id, clear=grading_before[0] and not milestone.graded)
        programme = db.session.get_one(Programme, milestone.programme_id)
        resync_totals(programme, ctx.user_id)
        # The LMS's columns say the new title and points before the scores above reach them.
        follow_milestone(milestone)
        follow_total(programme)
    db.session.commit()
    return milestone


def delete_milestone(ctx: LaunchContext, milestone_id: int) -> None:
    programme = coordinator_programme(ctx)
    milestone = get_milestone(ctx, milestone_id)
    if milestone.graded:
        # The LMS keeps its column: clear the grades Ritmo put there rather than leave them stale.
        milestone.graded = False
        resync_milestone(milestone, ctx.user_id, clear=True)
    follow_milestone(milestone, removed=True)
    audit.record("milestone.delete", "milestone", milestone.id, actor_user_id=ctx.user_id,
                 title=milestone.title)
    db.session.delete(milestone)
    db.session.flush()
    resync_totals(programme, ctx.user_id)
    follow_total(programme)
    db.session.commit()


def _apply_milestone(milestone: Milestone, data: dict[str, Any], *, creating: bool) -> None:
    merged: dict[str, Any] = {
        "title": milestone.title, "description": milestone.description,
        "evidence": milestone.evidence, "due_on": milestone.due_on,
        "due_offset_days": milestone.due_offset_days, "graded": milestone.graded,
        "points": milestone.points, "completion_mode": milestone.completion_mode,
        "requires_confirmation": milestone.requires_confirmation,
        "rule_event": milestone.rule_event, "rule_count": milestone.rule_count,
    }
    merged.update(data)
    errors: dict[str, list[str]] = {}
    given: dict[str, str] = {k: clean(data[k]) for k in ("title", "description") if k in data}
    texts = translated.merged(
        milestone.texts,
        _cleaned(data["texts"]) if data.get("texts") is not None else None,
        given,
    )
    # New words in every language replace the old ones; a row from before them keeps its title.
    kept = None if data.get("texts") is not None else merged.get("title")
    merged["title"] = translated.single(texts, "title") or kept
    merged["description"] = translated.single(texts, "description")
    title = clean(merged.get("title"))
    if not title:
        errors["title"] = [_("Give the milestone a title.")]
    if merged.get("due_on") and merged.get("due_offset_days") is not None:
        errors["due_offset_days"] = [
            _("Choose either a due date or a number of days after the match starts, not both.")
        ]
    offset = merged.get("due_offset_days")
    if offset is not None and not 0 <= offset <= MAX_OFFSET_DAYS:
        errors["due_offset_days"] = [_("Use a number of days between 0 and %(max)s.", max=MAX_OFFSET_DAYS)]
    graded = bool(merged.get("graded"))
    points = float(merged.get("points") or 0)
    if graded and not 0 < points <= MAX_POINTS:
        errors["points"] = [_("A graded milestone needs points between 0 and %(max)s.", max=int(MAX_POINTS))]
    if not graded and points < 0:
        errors["points"] = [_("Points cannot be negative.")]
    mode = CompletionMode(merged.get("completion_mode") or CompletionMode.MANUAL)
    rule_event = merged.get("rule_event") or None
    rule_count = 1 if merged.get("rule_count") is None else int(merged["rule_count"])
    if mode is CompletionMode.AUTOMATIC:
        if rule_event not in RULE_EVENTS:
            errors["rule_event"] = [
                _("Choose what completes this milestone: one of %(events)s.", events=", ".join(RULE_EVENTS))
            ]
        if not 1 <= rule_count <= MAX_RULE_COUNT:
            errors["rule_count"] = [_("Use a count between 1 and %(max)s.", max=MAX_RULE_COUNT)]
    else:
        rule_event = None
    if errors:
        raise InvalidInput(errors=errors)
    milestone.title = title[:255]
    milestone.texts = texts
    milestone.description = clean(merged.get("description"))
    milestone.evidence = clean(merged.get("evidence"))
    milestone.due_on = merged.get("due_on")
    milestone.due_offset_days = offset
    milestone.graded = graded
    milestone.points = points
    milestone.completion_mode = mode
    milestone.requires_confirmation = bool(merged.get("requires_confirmation"))
    milestone.rule_event = rule_event
    milestone.rule_count = rule_count if mode is CompletionMode.AUTOMATIC else 1


def _cleaned(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {lang: {k: clean(v) for k, v in words.items()} for lang, words in texts.items()}


def due_date(milestone: Milestone, match: Match | None) -> date | None:
    """A fixed date, or the offset counted from the day the match started."""
    if milestone.due_on is not None:
        return milestone.due_on
    if milestone.due_offset_days is not None and match is not None and match.started_at is not None:
        return match.started_at.date() + timedelta(days=milestone.due_offset_days)
    return None


def set_programme_total(ctx: LaunchContext, enabled: bool) -> Programme:
    """Send (or stop sending) each learner's total over graded milestones to its own column."""
    programme = coordinator_programme(ctx)
    settings = dict(programme.settings or {})
    settings[GRADE_TOTAL_SETTING] = bool(enabled)
    programme.settings = settings
    audit.record("programme.grade_total", "programme", programme.id, actor_user_id=ctx.user_id,
                 enabled=bool(enabled))
    if enabled:
        resync_totals(programme, ctx.user_id)
    db.session.commit()
    return programme


def placeable_milestones(programme: Programme) -> list[dict[str, Any]]:
    """What deep linking can place as a graded resource link, with its ``lineItem`` declaration.

    The ``resourceId``/``tag`` pair is the one delivery searches for, so a placed link's line item is
    found and used instead of a second column being created.
    """
    items: list[dict[str, Any]] = []
    graded = [m for m in list_milestones(programme.id) if m.graded]
    if graded:
        items.append({
            "title": total_label(programme),
            "target": TOTAL_TARGET,
            "line_item": {
                "scoreMaximum": sum(m.points for m in graded),
                "label": total_label(programme),
                "resourceId": TOTAL_RESOURCE_ID.format(id=programme.id),
                "tag": TOTAL_TAG,
            },
        })
    for milestone in list_milestones(programme.id):
        entry: dict[str, Any] = {"title": milestone.title, "target": f"milestone:{milestone.id}"}
        if milestone.graded:
            entry["line_item"] = {
                "scoreMaximum": milestone.points,
                "label": milestone.title,
                "resourceId": MILESTONE_RESOURCE_ID.format(id=milestone.id),
                "tag": MILESTONE_TAG,
            }
        items.append(entry)
    return items

