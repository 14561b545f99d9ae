"""Matching API and pages: runs, review, edits, approval, participants' matches, mentee choice."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lti_tool.identity.session import coordinator_required, current_context, login_required, session_url
from lti_tool.mentoring.matching import (
    choice,
    criteria,
    decisions,
    edits,
    lifecycle,
    review,
    runs,
    schemas,
)
from lti_tool.mentoring.matching.models import RUN_STAGE_LABELS, MatchStatus, RunState
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import MatchingMode, Programme
from lti_tool.ratelimit import WRITES, limit, per_person
from lti_tool.web import body

bp = Blueprint("matching", __name__)
#: The match statuses the review page filters by.
REVIEW_STATUSES = (MatchStatus.PROPOSED, MatchStatus.ACTIVE, MatchStatus.ENDED)

_run = schemas.RunSchema()
_request = schemas.RequestSchema()


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


def _page(page: review.Page) -> dict[str, Any]:
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }


# -- coordinator API -----------------------------------------------------------------------------


@bp.post("/api/programmes/<int:programme_id>/matching/runs")
@coordinator_required
def start_run(programme_id: int) -> tuple[dict[str, Any], int]:
    run = runs.start_run(current_context(), _programme(programme_id))
    return _run.dump(run), 202


@bp.get("/api/programmes/<int:programme_id>/matching/runs/<int:run_id>")
@coordinator_required
def get_run(programme_id: int, run_id: int) -> dict[str, Any]:
    return _run.dump(runs.get_run(_programme(programme_id), run_id))


@bp.get("/api/programmes/<int:programme_id>/matching/runs/<int:run_id>/unmatched")
@coordinator_required
def run_unmatched(programme_id: int, run_id: int) -> dict[str, Any]:
    args = schemas.ReviewArgs().load(request.args)
    programme = _programme(programme_id)
    page = review.unmatched(
        programme,
        runs.get_run(programme, run_id),
        search=args["q"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return _page(page)


@bp.get("/api/programmes/<int:programme_id>/matching/pairs")
@coordinator_required
def pairs(programme_id: int) -> dict[str, Any]:
    args = schemas.ReviewArgs().load(request.args)
    page = review.review(
        _programme(programme_id),
        status=args["status"],
        search=args["q"],
        page=args["page"],
        per_page=args["per_page"],
        order=args["order"],
    )
    return _page(page)


@bp.get("/api/programmes/<int:programme_id>/matching/why-not")
@coordinator_required
def why_not(programme_id: int) -> dict[str, Any]:
    args = schemas.WhyNotArgs().load(request.args)
    return review.why_not(_programme(programme_id), args["mentee_id"], args["mentor_id"])


@bp.post("/api/programmes/<int:programme_id>/matching/lock")
@coordinator_required
def lock(programme_id: int) -> dict[str, Any]:
    data = schemas.MenteesSchema().load(body())
    return {
        "changed": edits.set_locked(
            current_context(), _programme(programme_id), data["mentee_ids"], data["locked"]
        )
    }


@bp.post("/api/programmes/<int:programme_id>/matching/remove")
@coordinator_required
def remove(programme_id: int) -> dict[str, Any]:
    data = schemas.MenteesSchema().load(body())
    return {
        "removed": edits.remove(
            current_context(), _programme(programme_id), data["mentee_ids"], data["reason"]
        )
    }


@bp.post("/api/programmes/<int:programme_id>/matching/assign")
@coordinator_required
def assign(programme_id: int) -> dict[str, Any]:
    data = schemas.AssignSchema().load(body())
    match = edits.assign(
        current_context(), _programme(programme_id), data["mentee_id"], data["mentor_id"], force=data["force"]
    )
    return {"match_id": match.id}


@bp.post("/api/programmes/<int:programme_id>/matching/swap")
@coordinator_required
def swap(programme_id: int) -> dict[str, Any]:
    data = schemas.SwapSchema().load(body())
    edits.swap(current_context(), _programme(programme_id), *data["mentee_ids"], force=data["force"])
    return {"swapped": data["mentee_ids"]}


@bp.post("/api/programmes/<int:programme_id>/matching/approve")
@coordinator_required
def approve(programme_id: int) -> dict[str, Any]:
    data = schemas.ApproveSchema().load(body())
    return {"approved": lifecycle.approve(current_context(), _programme(programme_id), data["match_ids"])}


@bp.post("/api/programmes/<int:programme_id>/matches/<int:match_id>/end")
@coordinator_required
def end(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.ReasonSchema().load(body())
    programme = _programme(programme_id)
    match = lifecycle.end_match(
        current_context(), programme, lifecycle.get_match(programme, match_id), data["reason"]
    )
    return {"match_id": match.id, "status": match.status.value}


@bp.get("/api/programmes/<int:programme_id>/matches/<int:match_id>/history")
@coordinator_required
def history(programme_id: int, match_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return {"items": decisions.history(lifecycle.get_match(programme, match_id))}


# -- participant API -----------------------------------------------------------------------------


def _me(programme: Programme) -> Any:
    return programmes.require_participant(current_context(), programme)


@bp.get("/api/programmes/<int:programme_id>/my-matches")
@login_required
def my_matches(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return {
        "items": lifecycle.my_match_cards(_me(programme)),
        "rules": criteria.rules_in_words(profiles.questions(programme.id)),
    }


@bp.post("/api/programmes/<int:programme_id>/matches/<int:match_id>/rematch")
@login_required
def rematch(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.ReasonSchema().load(body())
    programme = _programme(programme_id)
    match = lifecycle.request_rematch(
        current_context(), lifecycle.get_match(programme, match_id), data["reason"]
    )
    return {"match_id": match.id, "status": match.status.value}


@bp.get("/api/programmes/<int:programme_id>/recommendations")
@login_required
def recommendations(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return {"items": choice.recommendations(programme, _me(programme))}


@bp.get("/api/programmes/<int:programme_id>/requests")
@login_required
def list_requests(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return {"items": _request.dump(choice.requests_for(_me(programme)), many=True)}


@bp.post("/api/programmes/<int:programme_id>/requests")
@login_required
@limit("mail", key=per_person)
def ask(programme_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.AskSchema().load(body())
    programme = _programme(programme_id)
    req = choice.ask_mentor(
        current_context(), programme, _me(programme), data["mentor_id"], data["message"]
    )
    return _request.dump(req), 201


@bp.post("/api/programmes/<int:programme_id>/requests/<int:request_id>/answer")
@login_required
@limit("mail", key=per_person)
def answer(programme_id: int, request_id: int) -> dict[str, Any]:
    data = schemas.AnswerSchema().load(body())
    programme = _programme(programme_id)
    req = choice.answer_request(
        current_context(),
        programme,
        _me(programme),
        choice.get_request(programme, request_id),
        data["accept"],
        data["note"],
    )
    return _request.dump(req)


@bp.post("/api/programmes/<int:programme_id>/requests/<int:request_id>/withdraw")
@login_required
def withdraw(programme_id: int, request_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    req = choice.withdraw_request(
        current_context(), _me(programme), choice.get_request(programme, request_id)
    )
    return _request.dump(req)


@bp.put("/api/programmes/<int:programme_id>/me/availability")
@login_required
def availability(programme_id: int) -> dict[str, Any]:
    data = schemas.PauseSchema().load(body())
    programme = _programme(programme_id)
    me = choice.set_paused(current_context(), _me(programme), data["paused"])
    return {"status": me.status.value}


# -- pages ---------------------------------------------------------------------------------------


@bp.route("/programmes/<int:programme_id>/matching", methods=["GET", "POST"])
@coordinator_required
def review_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    args = schemas.ReviewArgs().load(request.args)
    run = runs.latest_run(programme)
    page = review.review(
        programme,
        status=args["status"],
        search=args["q"],
        page=args["page"],
        per_page=args["per_page"],
        order=args["order"],
    )
    left = review.unmatched(programme, run, per_page=100) if run is not None else None
    return render_template(
        "matching/review.html",
        programme=programme,
        run=run,
        page=page,
        args=args,
        unmatched=left,
        counts=review.counts(programme),
        mentors=review.mentor_choices(programme),
        mentees=review.mentee_choices(programme),
        why=None,
        statuses=REVIEW_STATUSES,
        run_labels=_run_labels(),
    )


def _run_labels() -> dict[str, dict[str, str]]:
    """Labels for the page's script, which refreshes a running job's state and stage."""
    return {
        "states": {state.value: state.label for state in RunState},
        "stages": {stage: str(label) for stage, label in RUN_STAGE_LABELS.items()},
    }


@bp.post("/programmes/<int:programme_id>/matching/action")
@coordinator_required
def review_action(programme_id: int) -> Response:
    """The review page's buttons: one form, one action per press, then back to the list."""
    programme = _programme(programme_id)
    ctx = current_context()
    data = body()
    action = data.pop("action", "")
    if action == "run":
        runs.start_run(ctx, programme)
    elif action in ("lock", "unlock"):
        loaded = schemas.MenteesSchema().load({"mentee_ids": data.get("mentee_ids", [])})
        edits.set_locked(ctx, programme, loaded["mentee_ids"], action == "lock")
    elif action == "remove":
        loaded = schemas.MenteesSchema().load({"mentee_ids": data.get("mentee_ids", [])})
        edits.remove(ctx, programme, loaded["mentee_ids"], data.get("reason", ""))
    elif action == "approve_selected":
        ids = schemas.ApproveSchema().load({"match_ids": data.get("match_ids") or None})
        lifecycle.approve(ctx, programme, ids["match_ids"])
    elif action == "approve_all":
        lifecycle.approve(ctx, programme, None)
    elif action == "assign":
        loaded = schemas.AssignSchema().load(
            {k: data.get(k) for k in ("mentee_id", "mentor_id")} | {"force": data.get("force") == "1"}
        )
        edits.assign(ctx, programme, loaded["mentee_id"], loaded["mentor_id"], force=loaded["force"])
    return redirect(session_url(".review_page", programme_id=programme.id))


@bp.get("/programmes/<int:programme_id>/matching/why-not")
@coordinator_required
def why_not_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    args = schemas.WhyNotArgs().load(request.args)
    return render_template(
        "matching/why_not.html",
        programme=programme,
        why=review.why_not(programme, args["mentee_id"], args["mentor_id"]),
    )


@bp.route("/programmes/<int:programme_id>/my-match", methods=["GET", "POST"])
@login_required
def my_match_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    me = _me(programme)
    return render_template(
        "matching/my_match.html",
        programme=programme,
        me=me,
        matches=lifecycle.my_match_cards(me),
        rules=criteria.rules_in_words(profiles.questions(programme.id)),
    )


@bp.route("/programmes/<int:programme_id>/choose", methods=["GET", "POST"])
@login_required
@limit("mail", key=per_person, methods=WRITES)
def choose_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    me = _me(programme)
    if request.method == "POST":
        data = schemas.AskSchema().load(body())
        choice.ask_mentor(current_context(), programme, me, data["mentor_id"], data["message"])
    offers = []
    if programme.matching_mode is MatchingMode.MENTEE_CHOICE and not choice.pending_request(me.id):
        offers = choice.recommendations(programme, me)
    return render_template(
        "matching/choose.html", programme=programme, me=me, offers=offers, requests=choice.requests_for(me)
    )


@bp.route("/programmes/<int:programme_id>/requests", methods=["GET", "POST"])
@login_required
@limit("mail", key=per_person, methods=WRITES)
def requests_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    me = _me(programme)
    message = None
    if request.method == "POST":
        data = body()
        if "paused" in data:
            choice.set_paused(current_context(), me, schemas.PauseSchema().load(data)["paused"])
        else:
            loaded = schemas.AnswerSchema().load({k: v for k, v in data.items() if k in ("accept", "note")})
            req = choice.get_request(programme, int(data.get("request_id", 0)))
            choice.answer_request(current_context(), programme, me, req, loaded["accept"], loaded["note"])
            message = _("Your answer was sent.")
    return render_template(
        "matching/requests.html",
        programme=programme,
        me=me,
        message=message,
        requests=choice.requests_for(me),
    )
