"""Pages for a match's hand-made changes: swap two mentees' mentors, assign a mentor by picking
names, a coordinator ending a match, a member asking for a different partner.

Thin over :mod:`.edits` and :mod:`.lifecycle`. People are picked by name from a list the page
offers (:func:`people`); the server resolves the name and refuses one that is not offered. A refused
change shows the form again with what went wrong.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import InvalidInput, NotFound, RitmoError
from lti_tool.identity.session import coordinator_required, current_context, login_required, session_url
from lti_tool.mentoring.matching import edits, lifecycle, schemas
from lti_tool.mentoring.matching.access import match_access
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.matching.statuses import HOLDING_PLACES
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from lti_tool.safety.names import clean_name
from lti_tool.web import body

bp = Blueprint("match_actions", __name__)
BASE = "/programmes/<int:programme_id>"


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


def people(programme: Programme, role: ParticipantRole, *, proposed_only: bool = False) -> dict[str, int]:
    """``{label: participant id}`` of a part's people, by name; a name two people share gets their
    e-mail (or a number) so each label picks one person."""
    query = (
        sa.select(Participant.id, User.name, User.email)
        .join(User, Participant.user_id == User.id)
        .where(Participant.programme_id == programme.id, Participant.role == role)
        .order_by(User.name, Participant.id)
        .limit(5000)
    )
    if proposed_only:
        query = query.where(
            Participant.id.in_(
                sa.select(MatchMentee.mentee_id)
                .join(Match, Match.id == MatchMentee.match_id)
                .where(Match.programme_id == programme.id, Match.status == MatchStatus.PROPOSED)
            )
        )
    rows = [(pid, clean_name(name) or f"#{pid}", email) for pid, name, email in db.session.execute(query)]
    seen = Counter(name for _pid, name, _email in rows)
    out: dict[str, int] = {}
    for pid, name, email in rows:
        label = name if seen[name] == 1 else f"{name} ({email or f'#{pid}'})"
        out[label] = pid
    return out


def _resolve(offered: dict[str, int], field: str, value: Any, what: str) -> int:
    chosen = offered.get(str(value or "").strip())
    if chosen is None:
        raise InvalidInput(errors={field: [_("Choose %(what)s from the list of names.", what=what)]})
    return chosen


def _errors(error: Exception) -> dict[str, Any]:
    if isinstance(error, ValidationError):
        messages = error.normalized_messages()
        return messages if isinstance(messages, dict) else {"": messages}
    assert isinstance(error, RitmoError)
    return error.errors or {"": [error.detail]}


def _status(error: Exception) -> int:
    return error.status if isinstance(error, RitmoError) else 422


@bp.route(f"{BASE}/matching/swap", methods=["GET", "POST"])
@coordinator_required
def swap_page(programme_id: int) -> Any:
    """Exchange the proposed mentors of two mentees picked by name."""
    programme = _programme(programme_id)
    mentees = people(programme, ParticipantRole.MENTEE, proposed_only=True)
    errors: dict[str, Any] = {}
    form = body() if request.method == "POST" else {}
    status = 200
    if request.method == "POST":
        try:
            first = _resolve(mentees, "first", form.get("first"), _("the first mentee"))
            second = _resolve(mentees, "second", form.get("second"), _("the second mentee"))
            if first == second:
                raise InvalidInput(errors={"second": [_("Choose two different mentees.")]})
            edits.swap(current_context(), programme, first, second, force=form.get("force") == "1")
            return redirect(session_url("matching_review.review_page", programme_id=programme.id))
        except (RitmoError, ValidationError) as error:
            db.session.rollback()
            errors, status = _errors(error), _status(error)
    page = render_template(
        "matching/swap.html", programme=programme, mentees=mentees, errors=errors, form=form
    )
    return page, status


@bp.route(f"{BASE}/matching/assign", methods=["GET", "POST"])
@coordinator_required
def assign_page(programme_id: int) -> Any:
    """Propose a mentor for a mentee, both picked by name (a locked pair, as by the API)."""
    programme = _programme(programme_id)
    mentees = people(programme, ParticipantRole.MENTEE)
    mentors = people(programme, ParticipantRole.MENTOR)
    errors: dict[str, Any] = {}
    form = body() if request.method == "POST" else dict(request.args)
    status = 200
    if request.method == "POST":
        try:
            mentee = _resolve(mentees, "mentee", form.get("mentee"), _("a mentee"))
            mentor = _resolve(mentors, "mentor", form.get("mentor"), _("a mentor"))
            edits.assign(current_context(), programme, mentee, mentor, force=form.get("force") == "1")
            return redirect(
                session_url("matching_review.review_page", programme_id=programme.id, done="assign", count=1)
            )
        except (RitmoError, ValidationError) as error:
            db.session.rollback()
            errors, status = _errors(error), _status(error)
    page = render_template(
        "matching/assign.html",
        programme=programme,
        mentees=mentees,
        mentors=mentors,
        errors=errors,
        form=form,
    )
    return page, status


def _match_names(match: Match) -> dict[str, Any]:
    return {
        "mentor": clean_name(match.mentor.user.display_name),
        "mentees": [clean_name(m.mentee.user.display_name) for m in match.members],
    }


@bp.route(f"{BASE}/matches/<int:match_id>/end", methods=["GET", "POST"])
@coordinator_required
def end_page(programme_id: int, match_id: int) -> Any:
    """A coordinator ends a match, with a reason its members are told."""
    programme = _programme(programme_id)
    match = lifecycle.get_match(programme, match_id)
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = schemas.MatchReasonIn().load({"reason": body().get("reason", "")})
            lifecycle.end_match(current_context(), programme, match, data["reason"])
            return redirect(
                session_url("matching_review.review_page", programme_id=programme.id, status="ended")
            )
        except (RitmoError, ValidationError) as error:
            db.session.rollback()
            errors, status = _errors(error), _status(error)
    page = render_template(
        "matching/end.html", programme=programme, match=match, names=_match_names(match), errors=errors
    )
    return page, status


@bp.route(f"{BASE}/matches/<int:match_id>/rematch", methods=["GET", "POST"])
@login_required
def rematch_page(programme_id: int, match_id: int) -> Any:
    """A member asks for a different partner: the match ends, and the pair is never proposed again."""
    access = match_access(current_context(), match_id)
    if access.programme.id != programme_id or not access.is_member:
        raise NotFound(_("This match does not exist or is not yours. Go back to your programme page."))
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = schemas.MatchReasonIn().load({"reason": body().get("reason", "")})
            if not data["reason"].strip():
                raise InvalidInput(
                    errors={"reason": [_("Say in a few words why, so the next match fits better.")]}
                )
            lifecycle.request_rematch(current_context(), access.match, data["reason"])
            return redirect(session_url("programmes.matching.my_match_page", programme_id=programme_id))
        except (RitmoError, ValidationError) as error:
            db.session.rollback()
            errors, status = _errors(error), _status(error)
    ended = access.match.status not in HOLDING_PLACES
    page = render_template(
        "matching/rematch.html",
        programme=access.programme,
        match=access.match,
        names=_match_names(access.match),
        errors=errors,
        ended=ended,
    )
    return page, status
