"""Matching API (runs, review, edits, approval, participants' matches, mentee choice) and the
participants' pages; the coordinator's matching page is :mod:`.review_views`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from lti_tool.api.spec import document
from lti_tool.identity.session import coordinator_required, current_context, login_required
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
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import MatchingMode, Programme
from lti_tool.ratelimit import WRITES, limit, per_person
from lti_tool.web import body, form_id

bp = Blueprint("matching", __name__)

_run = schemas.MatchRunOut()
_request = schemas.MatchRequestOut()
_state = schemas.MatchStateOut()
TAGS = ("matching",)
COORDINATORS = "Coordinators only."


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
@document(
    "Start a matching run",
    description=(
        f"{COORDINATORS} The run goes on in the background: read it until its state is done or "
        "failed. 409 while another run of the programme is queued or running."
    ),
    tags=TAGS,
    responses={202: schemas.MatchRunOut},
    errors=(409,),
)
@coordinator_required
def start_run(programme_id: int) -> tuple[dict[str, Any], int]:
    run = runs.start_run(current_context(), _programme(programme_id))
    return _run.dump(run), 202


@bp.get("/api/programmes/<int:programme_id>/matching/runs/<int:run_id>")
@document(
    "Read a matching run's progress and outcome",
    description=COORDINATORS,
    tags=TAGS,
    responses={200: schemas.MatchRunOut},
)
@coordinator_required
def get_run(programme_id: int, run_id: int) -> dict[str, Any]:
    return _run.dump(runs.get_run(_programme(programme_id), run_id))


@bp.get("/api/programmes/<int:programme_id>/matching/runs/<int:run_id>/unmatched")
@document(
    "List the mentees a run left without a mentor",
    description=f"{COORDINATORS} With the reason for each, a page at a time.",
    tags=TAGS,
    query=schemas.MatchUnmatchedArgs,
    responses={200: schemas.MatchUnmatchedPageOut},
)
@coordinator_required
def run_unmatched(programme_id: int, run_id: int) -> dict[str, Any]:
    args = schemas.MatchUnmatchedArgs().load(request.args)
    programme = _programme(programme_id)
    page = review.unmatched(
        programme,
        runs.get_run(programme, run_id),
        search=args["q"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return schemas.MatchUnmatchedPageOut().dump(_page(page))


@bp.get("/api/programmes/<int:programme_id>/matching/pairs")
@document(
    "List the programme's pairs in one status",
    description=f"{COORDINATORS} Best score first (or worst), with why each pair scores what it does.",
    tags=TAGS,
    query=schemas.MatchReviewArgs,
    responses={200: schemas.MatchPairPageOut},
)
@coordinator_required
def pairs(programme_id: int) -> dict[str, Any]:
    args = schemas.MatchReviewArgs().load(request.args)
    page = review.review(
        _programme(programme_id),
        status=args["status"],
        search=args["q"],
        page=args["page"],
        per_page=args["per_page"],
        order=args["order"],
    )
    return schemas.MatchPairPageOut().dump(_page(page))


@bp.get("/api/programmes/<int:programme_id>/matching/why-not")
@document(
    "Explain why a mentee and a mentor are not paired",
    description=f"{COORDINATORS} 422 when either is not a mentee or mentor of the programme.",
    tags=TAGS,
    query=schemas.MatchWhyNotArgs,
    responses={200: schemas.MatchWhyNotOut},
    errors=(422,),
)
@coordinator_required
def why_not(programme_id: int) -> dict[str, Any]:
    args = schemas.MatchWhyNotArgs().load(request.args)
    return schemas.MatchWhyNotOut().dump(
        review.why_not(_programme(programme_id), args["mentee_id"], args["mentor_id"])
    )


@bp.post("/api/programmes/<int:programme_id>/matching/lock")
@document(
    "Lock or unlock proposed pairs",
    description=f"{COORDINATORS} A locked pair stays when the matching runs again.",
    tags=TAGS,
    body=schemas.MatchLockIn,
    responses={200: schemas.MatchLockedOut},
)
@coordinator_required
def lock(programme_id: int) -> dict[str, Any]:
    data = schemas.MatchLockIn().load(body())
    changed = edits.set_locked(
        current_context(), _programme(programme_id), data["mentee_ids"], data["locked"]
    )
    return schemas.MatchLockedOut().dump({"changed": changed})


@bp.post("/api/programmes/<int:programme_id>/matching/remove")
@document(
    "Remove proposed pairs",
    description=f"{COORDINATORS} Runs do not propose a removed pair again.",
    tags=TAGS,
    body=schemas.MatchRemoveIn,
    responses={200: schemas.MatchRemovedOut},
)
@coordinator_required
def remove(programme_id: int) -> dict[str, Any]:
    data = schemas.MatchRemoveIn().load(body())
    removed = edits.remove(current_context(), _programme(programme_id), data["mentee_ids"], data["reason"])
    return schemas.MatchRemovedOut().dump({"removed": removed})


@bp.post("/api/programmes/<int:programme_id>/matching/assign")
@document(
    "Propose a mentor for a mentee by hand",
    description=(
        f"{COORDINATORS} The pair is locked. 409 when the mentee already has an approved match, "
        "or, without force, when the pair breaks a rule or the mentor is full."
    ),
    tags=TAGS,
    body=schemas.MatchAssignIn,
    responses={200: schemas.MatchAssignedOut},
    errors=(409,),
)
@coordinator_required
def assign(programme_id: int) -> dict[str, Any]:
    data = schemas.MatchAssignIn().load(body())
    match = edits.assign(
        current_context(), _programme(programme_id), data["mentee_id"], data["mentor_id"], force=data["force"]
    )
    return schemas.MatchAssignedOut().dump({"match_id": match.id})


@bp.post("/api/programmes/<int:programme_id>/matching/swap")
@document(
    "Swap the proposed mentors of two mentees",
    description=f"{COORDINATORS} Both pairs are locked; 409 without force when a pair breaks a rule.",
    tags=TAGS,
    body=schemas.MatchSwapIn,
    responses={200: schemas.MatchSwappedOut},
    errors=(409,),
)
@coordinator_required
def swap(programme_id: int) -> dict[str, Any]:
    data = schemas.MatchSwapIn().load(body())
    edits.swap(current_context(), _programme(programme_id), *data["mentee_ids"], force=data["force"])
    return schemas.MatchSwappedOut().dump({"swapped": data["mentee_ids"]})


@bp.post("/api/programmes/<int:programme_id>/matching/approve")
@document(
    "Approve proposed matches",
    description=(
        f"{COORDINATORS} Approved matches start (or start with the programme) and their members are told."
    ),
    tags=TAGS,
    body=schemas.MatchApproveIn,
    body_required=False,
    responses={200: schemas.MatchApprovedOut},
)
@coordinator_required
def approve(programme_id: int) -> dict[str, Any]:
    data = schemas.MatchApproveIn().load(body())
    approved = lifecycle.approve(current_context(), _programme(programme_id), data["match_ids"])
    return schemas.MatchApprovedOut().dump({"approved": approved})


@bp.post("/api/programmes/<int:programme_id>/matches/<int:match_id>/end")
@document(
    "End a match",
    description=f"{COORDINATORS} Its members are told the reason; 409 when it has already ended.",
    tags=TAGS,
    body=schemas.MatchReasonIn,
    body_required=False,
    responses={200: schemas.MatchStateOut},
    errors=(409,),
)
@coordinator_required
def end(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchReasonIn().load(body())
    programme = _programme(programme_id)
    match = lifecycle.end_match(
        current_context(), programme, lifecycle.get_match(programme, match_id), data["reason"]
    )
    return _state.dump(match)


@bp.get("/api/programmes/<int:programme_id>/matches/<int:match_id>/history")
@document(
    "List the decisions taken about a match",
    description=f"{COORDINATORS} Who decided what, when and why, oldest first.",
    tags=TAGS,
    responses={200: schemas.MatchHistoryOut},
)
@coordinator_required
def history(programme_id: int, match_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return schemas.MatchHistoryOut().dump(
        {"items": decisions.history(lifecycle.get_match(programme, match_id))}
    )


# -- participant API -----------------------------------------------------------------------------


def _me(programme: Programme) -> Any:
    return programmes.require_participant(current_context(), programme)


@bp.get("/api/programmes/<int:programme_id>/my-matches")
@document(
    "List my matches",
    description="A participant: their started or approved matches, with why they were matched.",
    tags=TAGS,
    responses={200: schemas.MatchCardsOut},
)
@login_required
def my_matches(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return schemas.MatchCardsOut().dump(
        {
            "items": lifecycle.my_match_cards(_me(programme)),
            "rules": criteria.rules_in_words(profiles.questions(programme.id)),
        }
    )


@bp.post("/api/programmes/<int:programme_id>/matches/<int:match_id>/rematch")
@document(
    "Ask for a different partner",
    description=(
        "A member of the match: it ends, and the pair is never proposed again. 409 when it has already ended."
    ),
    tags=TAGS,
    body=schemas.MatchReasonIn,
    body_required=False,
    responses={200: schemas.MatchStateOut},
    errors=(409,),
)
@login_required
def rematch(programme_id: int, match_id: int) -> dict[str, Any]:
    data = schemas.MatchReasonIn().load(body())
    programme = _programme(programme_id)
    match = lifecycle.request_rematch(
        current_context(), lifecycle.get_match(programme, match_id), data["reason"]
    )
    return _state.dump(match)


@bp.get("/api/programmes/<int:programme_id>/recommendations")
@document(
    "Recommend mentors to me",
    description=(
        "A mentee: the best mentors with room, best first, each with the reasons. 409 while the "
        "mentee cannot choose yet."
    ),
    tags=TAGS,
    responses={200: schemas.MatchRecommendationsOut},
    errors=(409,),
)
@login_required
def recommendations(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return schemas.MatchRecommendationsOut().dump(
        {"items": choice.recommendations(programme, _me(programme))}
    )


@bp.get("/api/programmes/<int:programme_id>/requests")
@document(
    "List my mentor requests",
    description="A mentee sees the requests they made; a mentor, the requests made to them.",
    tags=TAGS,
    responses={200: schemas.MatchRequestsOut},
)
@login_required
def list_requests(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    return schemas.MatchRequestsOut().dump({"items": choice.requests_for(_me(programme))})


@bp.post("/api/programmes/<int:programme_id>/requests")
@document(
    "Ask a recommended mentor to mentor me",
    description=(
        "A mentee, where mentees choose: one request at a time; the mentor answers before a "
        "deadline. 409 with a request waiting or a mentor already."
    ),
    tags=TAGS,
    body=schemas.MatchAskIn,
    responses={201: schemas.MatchRequestOut},
    errors=(409,),
)
@login_required
@limit("mail", key=per_person)
def ask(programme_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.MatchAskIn().load(body())
    programme = _programme(programme_id)
    req = choice.ask_mentor(current_context(), programme, _me(programme), data["mentor_id"], data["message"])
    return _request.dump(req), 201


@bp.post("/api/programmes/<int:programme_id>/requests/<int:request_id>/answer")
@document(
    "Accept or decline a mentee's request",
    description=(
        "The mentor asked. 409 when the request was already answered or expired, or the mentor has no room."
    ),
    tags=TAGS,
    body=schemas.MatchRequestAnswerIn,
    responses={200: schemas.MatchRequestOut},
    errors=(409,),
)
@login_required
@limit("mail", key=per_person)
def answer(programme_id: int, request_id: int) -> dict[str, Any]:
    data = schemas.MatchRequestAnswerIn().load(body())
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
@document(
    "Withdraw my request",
    description="The mentee who asked; 409 when it was already answered or expired.",
    tags=TAGS,
    responses={200: schemas.MatchRequestOut},
    errors=(409,),
)
@login_required
def withdraw(programme_id: int, request_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    req = choice.withdraw_request(
        current_context(), _me(programme), choice.get_request(programme, request_id)
    )
    return _request.dump(req)


@bp.put("/api/programmes/<int:programme_id>/me/availability")
@document(
    "Pause or resume taking new mentees",
    description="A mentor: while paused, nobody is matched with them.",
    tags=TAGS,
    body=schemas.MatchAvailabilityIn,
    responses={200: schemas.MatchAvailabilityOut},
    errors=(409,),
)
@login_required
def availability(programme_id: int) -> dict[str, Any]:
    data = schemas.MatchAvailabilityIn().load(body())
    programme = _programme(programme_id)
    me = choice.set_paused(current_context(), _me(programme), data["paused"])
    return schemas.MatchAvailabilityOut().dump(me)


# -- pages ---------------------------------------------------------------------------------------


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
        data = schemas.MatchAskIn().load(body())
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
            choice.set_paused(current_context(), me, schemas.MatchAvailabilityIn().load(data)["paused"])
        else:
            loaded = schemas.MatchRequestAnswerIn().load(
                {k: v for k, v in data.items() if k in ("accept", "note")}
            )
            req = choice.get_request(programme, form_id(data.get("request_id")))
            choice.answer_request(current_context(), programme, me, req, loaded["accept"], loaded["note"])
            message = _("Your answer was sent.")
    return render_template(
        "matching/requests.html",
        programme=programme,
        me=me,
        message=message,
        requests=choice.requests_for(me),
    )
