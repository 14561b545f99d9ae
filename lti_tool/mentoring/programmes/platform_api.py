"""The platform's programmes and their state, for the institution's systems (API key, ``programmes:read``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from marshmallow import Schema, fields

from lti_tool.api.key_auth import current_key, key_required
from lti_tool.api.spec import document
from lti_tool.db import db, utcnow
from lti_tool.mentoring.matching.models import Match, MatchStatus
from lti_tool.mentoring.programmes import service
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme

bp = Blueprint("programmes_platform", __name__)

PHASES = ("upcoming", "running", "ended")


class PlatformCourseOut(Schema):
    id = fields.Integer(required=True)
    context_id = fields.String(required=True, metadata={"description": "The course's id in the LMS."})
    title = fields.String(required=True, allow_none=True)


class PlatformProgrammeOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    course = fields.Nested(PlatformCourseOut, required=True)
    matching_mode = fields.String(required=True)
    starts_on = fields.Date(required=True, allow_none=True)
    ends_on = fields.Date(required=True, allow_none=True)
    timezone = fields.String(required=True)
    phase = fields.String(
        required=True,
        metadata={"enum": list(PHASES), "description": "From the programme's dates, today in UTC."},
    )


class PlatformProgrammesOut(Schema):
    items = fields.List(fields.Nested(PlatformProgrammeOut), required=True)


def _counts(statuses: tuple[str, ...]) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(metadata={"enum": list(statuses)}), values=fields.Integer(), required=True
    )


_PEOPLE = tuple(s.value for s in ParticipantStatus)


class PlatformParticipantCountsOut(Schema):
    mentor = _counts(_PEOPLE)
    mentee = _counts(_PEOPLE)
    coordinator = _counts(_PEOPLE)


class PlatformProgrammeStateOut(PlatformProgrammeOut):
    participants = fields.Nested(
        PlatformParticipantCountsOut, required=True, metadata={"description": "By role, then status."}
    )
    matches = _counts(tuple(s.value for s in MatchStatus))


def phase(programme: Programme, today: date) -> str:
    if programme.starts_on is not None and today < programme.starts_on:
        return "upcoming"
    if programme.ends_on is not None and today > programme.ends_on:
        return "ended"
    return "running"


def _programme(programme: Programme, today: date) -> dict[str, Any]:
    return {
        "id": programme.id,
        "title": programme.title,
        "course": programme.course,
        "matching_mode": programme.matching_mode.value,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "timezone": programme.timezone,
        "phase": phase(programme, today),
    }


def state(programme: Programme) -> dict[str, Any]:
    """The programme with its participants by role and status and its matches by status."""
    people: dict[str, dict[str, int]] = {r.value: {s: 0 for s in _PEOPLE} for r in ParticipantRole}
    for role, status, count in db.session.execute(
        sa.select(Participant.role, Participant.status, sa.func.count())
        .where(Participant.programme_id == programme.id)
        .group_by(Participant.role, Participant.status)
    ):
        people[role.value][status.value] = count
    matches = {s.value: 0 for s in MatchStatus}
    for match_status, count in db.session.execute(
        sa.select(Match.status, sa.func.count())
        .where(Match.programme_id == programme.id)
        .group_by(Match.status)
    ):
        matches[match_status.value] = count
    return _programme(programme, utcnow().date()) | {"participants": people, "matches": matches}


@bp.get("/api/platform/programmes")
@document(
    "List the platform's programmes",
    description="For a system with an API key of the platform (scope programmes:read): every programme "
    "of the platform's courses.",
    tags=("platform",),
    responses={200: PlatformProgrammesOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("programmes:read",),
)
@key_required("programmes:read")
def programmes() -> dict[str, Any]:
    today = utcnow().date()
    found = service.platform_programmes(current_key().platform_id)
    return PlatformProgrammesOut().dump({"items": [_programme(p, today) for p in found]})


@bp.get("/api/platform/programmes/<int:programme_id>")
@document(
    "Read a programme's state",
    description="Its phase, participants by role and status, and matches by status. A programme of "
    "another platform answers 404.",
    tags=("platform",),
    responses={200: PlatformProgrammeStateOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("programmes:read",),
)
@key_required("programmes:read")
def programme_state(programme_id: int) -> dict[str, Any]:
    programme = service.platform_programme(current_key().platform_id, programme_id)
    return PlatformProgrammeStateOut().dump(state(programme))
