"""The coordinator's matching page: the run, the proposals with why each was made, and the
buttons that lock, remove and approve them; "why not this mentor" beside it.

Thin over :mod:`.runs`, :mod:`.review`, :mod:`.edits` and :mod:`.lifecycle`. A button's refusal (nothing
ticked, a stale list) shows the page again saying what to do, and changes nothing; a done action
comes back to the list saying what it did.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from lti_tool.db import db
from lti_tool.errors import InvalidInput, sentences
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import coordinator_required, current_context, session_url
from lti_tool.mentoring.matching import edits, lifecycle, review, runs, schemas
from lti_tool.mentoring.matching.models import RUN_STAGE_LABELS, MatchStatus, RunState
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.web import body

bp = Blueprint("matching_review", __name__)
#: The match statuses the page filters by.
REVIEW_STATUSES = (MatchStatus.PROPOSED, MatchStatus.ACTIVE, MatchStatus.ENDED)


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


@bp.route("/programmes/<int:programme_id>/matching", methods=["GET", "POST"])
@coordinator_required
def review_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    args = schemas.MatchReviewPageArgs().load(request.args)
    return _review(programme, args, notice=_done_notice(args["done"], args["count"]))


def _review(programme: Programme, args: dict[str, Any], **extra: Any) -> str:
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
        # Without questions, a run pairs people with nothing to go on: the page says so first.
        without_questions=not profiles.questions(programme.id),
        **extra,
    )


def _run_labels() -> dict[str, dict[str, str]]:
    """Labels for the page's script, which refreshes a running job's state and stage."""
    return {
        "states": {state.value: state.label for state in RunState},
        "stages": {stage: str(label) for stage, label in RUN_STAGE_LABELS.items()},
    }


@bp.post("/programmes/<int:programme_id>/matching/action")
@coordinator_required
def review_action(programme_id: int) -> Response | tuple[str, int]:
    """The review page's buttons: one form, one action per press, then back to the list saying
    what was done; a refusal shows the list again with what to do, and changes nothing."""
    programme = _programme(programme_id)
    data = body()
    action = data.pop("action", "")
    try:
        count = _act(current_context(), programme, action, data)
    except (ValidationError, InvalidInput) as error:
        db.session.rollback()  # nothing half-done stays
        said = sentences(error.messages if isinstance(error, ValidationError) else error.errors)
        args = schemas.MatchReviewPageArgs().load({})
        return _review(programme, args, errors={"": said or [str(error)]}), 422
    return redirect(session_url(".review_page", programme_id=programme.id, done=action, count=count))


# The buttons that act on the ticked pairs, and the field each one reads.
_ON_TICKED = {"lock": "mentee_ids", "unlock": "mentee_ids", "remove": "mentee_ids",
              "approve_selected": "match_ids"}


def _act(ctx: LaunchContext, programme: Programme, action: str, data: dict[str, Any]) -> int:
    """Do what the pressed button says; returns how many pairs it touched."""
    if action in _ON_TICKED and not data.get(_ON_TICKED[action]):
        # An empty selection never means "all": "Approve all" is its own button.
        raise InvalidInput(errors={"": [_("Tick one or more pairs first, then press the button again.")]})
    if action == "run":
        runs.start_run(ctx, programme)
        return 0
    if action in ("lock", "unlock"):
        loaded = schemas.MatchLockIn().load({"mentee_ids": data["mentee_ids"]})
        return edits.set_locked(ctx, programme, loaded["mentee_ids"], action == "lock")
    if action == "remove":
        loaded = schemas.MatchRemoveIn().load({"mentee_ids": data["mentee_ids"]})
        return edits.remove(ctx, programme, loaded["mentee_ids"], data.get("reason", ""))
    if action == "approve_selected":
        ids = schemas.MatchApproveIn().load({"match_ids": data["match_ids"]})
        return lifecycle.approve(ctx, programme, ids["match_ids"])
    if action == "approve_all":
        return lifecycle.approve(ctx, programme, None)
    raise InvalidInput(errors={"": [_("This button does nothing Ritmo knows. Reload the page.")]})


def _done_notice(done: str | None, count: int) -> str | None:
    """What the last button did, said on the list it returns to."""
    if done == "run":
        return _("Matching started. The list updates when it finishes.")
    if done == "lock":
        return ngettext(
            "%(num)d pair locked: new runs keep it.", "%(num)d pairs locked: new runs keep them.", count
        )
    if done == "unlock":
        return ngettext("%(num)d pair unlocked.", "%(num)d pairs unlocked.", count)
    if done == "remove":
        return ngettext(
            "%(num)d pair removed: the matching will not propose it again.",
            "%(num)d pairs removed: the matching will not propose them again.", count,
        )
    if done in ("approve_selected", "approve_all"):
        if count == 0:
            return _("No proposal was waiting for approval.")
        return ngettext(
            "%(num)d pair approved: its members are told by e-mail. Find it under Active.",
            "%(num)d pairs approved: their members are told by e-mail. Find them under Active.", count,
        )
    if done == "assign":
        return _("Mentor assigned by hand. The pair is locked, so new runs keep it.")
    return None


@bp.get("/programmes/<int:programme_id>/matching/why-not")
@coordinator_required
def why_not_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    args = schemas.MatchWhyNotArgs().load(request.args)
    return render_template(
        "matching/why_not.html",
        programme=programme,
        why=review.why_not(programme, args["mentee_id"], args["mentor_id"]),
    )
