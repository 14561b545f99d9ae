"""Goals and milestones over HTTP: JSON API under ``/api/goals`` and the in-frame pages.

Views are thin: load with a schema, call one service function, render or dump.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Blueprint, redirect, render_template, request
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from lti_tool import translated
from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.errors import InvalidInput
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import (
    coordinator_required,
    current_context,
    login_required,
    session_url,
)
from lti_tool.mentoring.goals import (
    completion,
    gradebook,
    milestones,
    models,
    plan,
    progress,
    schemas,
)
from lti_tool.mentoring.matching import access
from lti_tool.mentoring.matching.models import Match
from lti_tool.web import flat_messages

bp = Blueprint("goals", __name__)


_milestone_in = schemas.MilestoneIn()
_milestone_out = schemas.MilestoneOut()
_goal_in = schemas.GoalIn()
_goal_out = schemas.GoalOut()
_note_in = schemas.GoalNoteIn()
_completion_in = schemas.MilestoneCompletionIn()
_completion_out = schemas.MilestoneCompletionOut()
_total_in = schemas.GradeTotalIn()

_COORDINATORS = "Coordinators of the course's programme only."
_MEMBERS = "The match's mentor and mentees; coordinators may read."


def _my_matches(ctx: LaunchContext) -> list[Match]:
    return access.my_matches(access.current_programme(ctx).id, ctx.user_id)


def _body() -> Any:
    return request.get_json(silent=True) if request.is_json else request.form


# --- JSON API ------------------------------------------------------------------------------------


@bp.get("/api/goals/milestones")
@document("List the programme's milestones", tags=("goals",),
          description="Anyone in the programme.", responses={200: schemas.MilestoneListOut}, errors=(404,))
@login_required
def api_milestones() -> Any:
    _programme, items = milestones.programme_milestones(current_context())
    return schemas.MilestoneListOut().dump({"milestones": items})


@bp.post("/api/goals/milestones")
@document("Define a milestone", tags=("goals",), description=_COORDINATORS,
          body=schemas.MilestoneIn, responses={201: schemas.MilestoneOut}, errors=(404,))
@coordinator_required
def api_create_milestone() -> Any:
    milestone = milestones.create_milestone(current_context(), _milestone_in.load(_body()))
    return _milestone_out.dump(milestone), 201


@bp.patch("/api/goals/milestones/<int:milestone_id>")
@document("Change a milestone", tags=("goals",),
          description=f"{_COORDINATORS} Only the fields sent change; graded columns follow in the LMS.",
          body=schemas.MilestoneIn, responses={200: schemas.MilestoneOut})
@coordinator_required
def api_update_milestone(milestone_id: int) -> Any:
    data = _milestone_in.load(_body(), partial=True)
    return _milestone_out.dump(milestones.update_milestone(current_context(), milestone_id, data))


@bp.delete("/api/goals/milestones/<int:milestone_id>")
@document("Remove a milestone", tags=("goals",),
          description=f"{_COORDINATORS} The grades Ritmo sent for it are cleared in the LMS.",
          responses={204: None})
@coordinator_required
def api_delete_milestone(milestone_id: int) -> Any:
    milestones.delete_milestone(current_context(), milestone_id)
    return "", 204


@bp.put("/api/goals/programme-total")
@document("Send or stop sending each learner's milestone total", tags=("goals",),
          description=_COORDINATORS, body=schemas.GradeTotalIn, responses={200: schemas.GradeTotalOut},
          errors=(404,))
@coordinator_required
def api_programme_total() -> Any:
    programme = milestones.set_programme_total(current_context(), _total_in.load(_body())["enabled"])
    return schemas.GradeTotalOut().dump(
        {"enabled": bool(programme.settings.get(gradebook.GRADE_TOTAL_SETTING))}
    )


@bp.get("/api/goals/placeable")
@document("List the milestones deep linking can place", tags=("goals",),
          description=f"{_COORDINATORS} Graded ones carry the LMS line item they create.",
          responses={200: schemas.PlaceableMilestoneListOut}, errors=(404,))
@coordinator_required
def api_placeable() -> Any:
    items = milestones.placeable_milestones(access.current_programme(current_context()))
    return schemas.PlaceableMilestoneListOut().dump({"items": items})


@bp.get("/api/goals/progress")
@document("Show milestone progress across the programme", tags=("goals",),
          description=_COORDINATORS, responses={200: schemas.ProgressOut}, errors=(404,))
@coordinator_required
def api_progress() -> Any:
    return schemas.ProgressOut().dump(progress.progress(current_context()))


@bp.get("/api/goals/matches")
@document("List my matches", tags=("goals",),
          description="The caller's own matches in the programme, as mentor or mentee.",
          responses={200: schemas.GoalsMatchListOut}, errors=(404,))
@login_required
def api_my_matches() -> Any:
    return schemas.GoalsMatchListOut().dump({"matches": _my_matches(current_context())})


@bp.get("/api/goals/matches/<int:match_id>")
@document("Show a match's milestones and goals", tags=("goals",), description=_MEMBERS,
          responses={200: schemas.TimelineOut})
@login_required
def api_timeline(match_id: int) -> Any:
    return schemas.TimelineOut().dump(progress.timeline(current_context(), match_id))


@bp.post("/api/goals/matches/<int:match_id>/goals")
@document("Add a goal to a match's plan", tags=("goals",),
          description="The match's mentor and mentees, while the match has not ended.",
          body=schemas.GoalIn, responses={201: schemas.GoalOut}, errors=(409,))
@login_required
def api_create_goal(match_id: int) -> Any:
    goal = plan.create_goal(current_context(), match_id, _goal_in.load(_body()))
    return _goal_out.dump(goal), 201


@bp.patch("/api/goals/goals/<int:goal_id>")
@document("Change a goal", tags=("goals",),
          description="The match's mentor and mentees, while the match has not ended.",
          body=schemas.GoalIn, responses={200: schemas.GoalOut}, errors=(409,))
@login_required
def api_update_goal(goal_id: int) -> Any:
    data = _goal_in.load(_body(), partial=True)
    return _goal_out.dump(plan.update_goal(current_context(), goal_id, data))


@bp.post("/api/goals/goals/<int:goal_id>/notes")
@document("Note progress on a goal", tags=("goals",),
          description="The match's mentor and mentees, while the match has not ended.",
          body=schemas.GoalNoteIn, responses={201: schemas.GoalNoteOut}, errors=(409,))
@login_required
def api_add_note(goal_id: int) -> Any:
    note = plan.add_note(current_context(), goal_id, _note_in.load(_body())["text"])
    return schemas.GoalNoteOut().dump(note), 201


@bp.post("/api/goals/matches/<int:match_id>/plan/agree")
@document("Agree on the match's goal plan", tags=("goals",),
          description="A member of the match; the plan is agreed once every member has agreed.",
          responses={200: schemas.PlanAgreedOut}, errors=(409,))
@login_required
def api_agree(match_id: int) -> Any:
    return schemas.PlanAgreedOut().dump({"plan_agreed": plan.agree_plan(current_context(), match_id)})


@bp.post("/api/goals/matches/<int:match_id>/milestones/<int:milestone_id>/<any(done, confirm, undo):action>")
@document(
    "Mark a milestone done, confirm it, or undo it", tags=("goals",),
    description=(
        "`done`: a mentee for themselves, or the mentor; `confirm`: the mentor or a coordinator; "
        "`undo`: whoever marked it, a confirmed one the mentor or a coordinator. "
        "After `undo` the answer holds only `state` (null)."
    ),
    body=schemas.MilestoneCompletionIn, body_required=False,
    responses={200: schemas.MilestoneCompletionOut}, errors=(409,),
)
@login_required
def api_completion(match_id: int, milestone_id: int, action: str) -> Any:
    data = _completion_in.load(_body() or {})
    ctx = current_context()
    if action == "done":
        done = completion.mark_done(ctx, match_id, milestone_id,
                                    participant_id=data.get("participant_id"), note=data["note"])
    elif action == "confirm":
        done = completion.confirm(ctx, match_id, milestone_id, data.get("participant_id"))
    else:
        completion.undo(ctx, match_id, milestone_id, data.get("participant_id"))
        return _completion_out.dump({"state": None})
    return _completion_out.dump(done)


# --- pages ---------------------------------------------------------------------------------------


def _back(endpoint: str, **values: Any) -> Response:
    return redirect(session_url(endpoint, **values), code=303)


def open_milestone(ctx: LaunchContext, argument: str) -> Any:
    """A resource link placed for one milestone: coordinators see its progress, members their match."""
    milestone = milestones.get_milestone(ctx, int(argument)) if argument.isdigit() else None
    if ctx.is_coordinator:
        return _render_progress(ctx, focus=milestone.id if milestone else None)
    return _render_home(ctx, focus=milestone.id if milestone else None)


@bp.route("/goals", methods=["GET", "POST"])
@login_required
def home() -> Any:
    ctx = current_context()
    if ctx.is_coordinator:
        return _render_progress(ctx)
    return _render_home(ctx)


def _render_home(ctx: LaunchContext, focus: int | None = None) -> Any:
    matches = _my_matches(ctx)
    if len(matches) == 1:
        return _render_timeline(ctx, matches[0].id, focus)
    return render_template("goals/matches.html", matches=matches)


@bp.route("/goals/matches/<int:match_id>", methods=["GET", "POST"])
@login_required
def timeline_page(match_id: int) -> Any:
    return _render_timeline(current_context(), match_id)


def _render_timeline(ctx: LaunchContext, match_id: int, focus: int | None = None) -> str:
    return render_template(
        "goals/timeline.html", t=progress.timeline(ctx, match_id), focus=focus,
        goal_statuses=list(schemas.GoalStatus), rule_events=models.RULE_EVENTS,
    )


@bp.post("/goals/matches/<int:match_id>/goals")
@login_required
def add_goal_page(match_id: int) -> Response:
    plan.create_goal(current_context(), match_id, _goal_in.load(request.form))
    return _back("goals.timeline_page", match_id=match_id)


@bp.post("/goals/goals/<int:goal_id>")
@login_required
def update_goal_page(goal_id: int) -> Response:
    goal = plan.update_goal(current_context(), goal_id, _goal_in.load(request.form, partial=True))
    return _back("goals.timeline_page", match_id=goal.match_id)


@bp.post("/goals/goals/<int:goal_id>/notes")
@login_required
def add_note_page(goal_id: int) -> Response:
    note = plan.add_note(current_context(), goal_id, _note_in.load(request.form)["text"])
    return _back("goals.timeline_page", match_id=note.goal.match_id)


@bp.post("/goals/matches/<int:match_id>/plan/agree")
@login_required
def agree_page(match_id: int) -> Response:
    plan.agree_plan(current_context(), match_id)
    return _back("goals.timeline_page", match_id=match_id)


@bp.post("/goals/matches/<int:match_id>/milestones/<int:milestone_id>/<any(done, confirm, undo):action>")
@login_required
def completion_page(match_id: int, milestone_id: int, action: str) -> Response:
    api_completion(match_id, milestone_id, action)
    return _back("goals.timeline_page", match_id=match_id)


@bp.route("/goals/milestones", methods=["GET", "POST"])
@coordinator_required
def milestones_page() -> Any:
    ctx = current_context()
    if request.method == "POST" and request.form.get("action") == "create":
        form = _ticked(request.form.to_dict())
        try:
            milestones.create_milestone(ctx, _milestone_in.load(form))
        except (ValidationError, InvalidInput) as error:
            # The page again, as typed, with what to correct; nothing was written.
            db.session.rollback()
            # Fields under their API names: ritmo.js puts the page's labels in their place.
            messages = error.messages if isinstance(error, ValidationError) else error.errors or {}
            errors = flat_messages(messages) or {"": [str(error)]}
            return _milestones(ctx, draft=_draft(form), errors=errors), 422
        return _back("goals.milestones_page")
    return _milestones(ctx)


def _milestones(ctx: LaunchContext, **extra: Any) -> str:
    programme, items = milestones.programme_milestones(ctx)
    return render_template(
        "goals/milestones.html", programme=programme, milestones=items,
        rule_events=models.RULE_EVENTS, languages=translated.languages(),
        grade_total=bool((programme.settings or {}).get(gradebook.GRADE_TOTAL_SETTING)), **extra,
    )


def _ticked(form: dict[str, str]) -> dict[str, str]:
    # Unticked checkboxes are absent from a form post: absent means "no" here.
    form.setdefault("graded", "false")
    form.setdefault("requires_confirmation", "false")
    return form


def _draft(form: dict[str, str]) -> SimpleNamespace:
    """A refused milestone as typed, in the shape the form's fields read."""
    return SimpleNamespace(
        texts={
            lang: {"title": form.get(f"title_{lang}", ""), "description": form.get(f"description_{lang}", "")}
            for lang in translated.languages()
        },
        title="", description="", evidence=form.get("evidence", ""),
        due_on=form.get("due_on") or None, due_offset_days=form.get("due_offset_days") or None,
        graded=form["graded"] != "false", points=form.get("points", ""),
        completion_mode=SimpleNamespace(value=form.get("completion_mode", "manual")),
        requires_confirmation=form["requires_confirmation"] != "false",
        rule_count=form.get("rule_count", 1), rule_event=form.get("rule_event", ""),
    )


@bp.post("/goals/milestones/<int:milestone_id>")
@coordinator_required
def update_milestone_page(milestone_id: int) -> Response:
    form = _ticked(request.form.to_dict())
    milestones.update_milestone(current_context(), milestone_id, _milestone_in.load(form, partial=True))
    return _back("goals.milestones_page")


@bp.post("/goals/milestones/<int:milestone_id>/delete")
@coordinator_required
def delete_milestone_page(milestone_id: int) -> Response:
    milestones.delete_milestone(current_context(), milestone_id)
    return _back("goals.milestones_page")


@bp.post("/goals/programme-total")
@coordinator_required
def programme_total_page() -> Response:
    milestones.set_programme_total(current_context(), request.form.get("enabled") == "on")
    return _back("goals.milestones_page")


@bp.route("/goals/progress", methods=["GET", "POST"])
@coordinator_required
def progress_page() -> Any:
    return _render_progress(current_context())


def _render_progress(ctx: LaunchContext, focus: int | None = None) -> str:
    return render_template("goals/progress.html", p=progress.progress(ctx), focus=focus)
