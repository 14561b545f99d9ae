"""A programme's roster for the institution's systems (an HR or student-records feed; API key):
read it page by page (``roster:read``), and add or update people in batches (``roster:write``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from marshmallow import Schema, ValidationError, fields, validate

from lti_tool.accounts.models import User
from lti_tool.api.key_auth import current_key, key_required
from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus
from lti_tool.mentoring.roster import batch
from lti_tool.web import MAX_ID, body

bp = Blueprint("roster_platform", __name__)

_TAGS = ("platform",)
_SUB = "The person's user id in the LMS (the launch's ``sub``)."


class PlatformParticipantsQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    after = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={"description": "The ``next_after`` of the previous page; leave out for the first."},
    )


class PlatformParticipantOut(Schema):
    id = fields.Integer(required=True)
    sub = fields.String(required=True, attribute="user.sub", metadata={"description": _SUB})
    name = fields.String(required=True, allow_none=True, attribute="user.name")
    email = fields.String(required=True, allow_none=True, attribute="user.email")
    role = fields.Enum(ParticipantRole, by_value=True, required=True)
    status = fields.Enum(ParticipantStatus, by_value=True, required=True)
    capacity = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Mentees a mentor takes; null: the default."}
    )


class PlatformParticipantsOut(Schema):
    items = fields.List(fields.Nested(PlatformParticipantOut), required=True)
    next_after = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as ``after`` for the next page; null on the last page."},
    )


class PlatformRosterRowIn(Schema):
    sub = fields.String(
        required=True, validate=validate.Length(min=1, max=255), metadata={"description": _SUB}
    )
    name = fields.String(validate=validate.Length(max=255))
    email = fields.Email(validate=validate.Length(max=254))
    role = fields.Enum(
        ParticipantRole,
        by_value=True,
        validate=validate.OneOf([ParticipantRole.MENTOR, ParticipantRole.MENTEE]),
        metadata={"description": "mentor or mentee; the LMS's rule decides whether it changes a role."},
    )
    status = fields.String(
        validate=validate.OneOf(["active", batch.WITHDRAWN]),
        metadata={"description": "withdrawn: the person left (their matches end); active: they are back."},
    )
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=50))


class PlatformRosterIn(Schema):
    participants = fields.List(
        fields.Nested(PlatformRosterRowIn), required=True, validate=validate.Length(min=1, max=batch.MAX_ROWS)
    )


class PlatformRosterResultOut(Schema):
    sub = fields.String(required=True)
    participant_id = fields.Integer(required=True, allow_none=True)
    outcome = fields.String(
        required=True,
        metadata={"enum": ["added", "updated", "unchanged", "skipped"],
                  "description": "skipped: a withdrawn person who was not in the programme."},
    )
    role = fields.Enum(ParticipantRole, by_value=True, required=True, allow_none=True)
    status = fields.Enum(ParticipantStatus, by_value=True, required=True, allow_none=True)
    role_kept = fields.Boolean(
        required=True,
        metadata={"description": "The role sent was not applied: the coordinator or the person set it, or "
                  "a live match holds the mentor."},
    )


class PlatformRosterOut(Schema):
    results = fields.List(fields.Nested(PlatformRosterResultOut), required=True)


def _page(programme_id: int, limit: int, after: int | None) -> dict[str, Any]:
    query = (
        sa.select(Participant)
        .join(User, User.id == Participant.user_id)
        .where(Participant.programme_id == programme_id)
        .order_by(Participant.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(Participant.id > after)
    found = list(db.session.execute(query).scalars())
    more = len(found) > limit
    items = found[:limit]
    return {"items": items, "next_after": items[-1].id if more else None}


@bp.get("/api/platform/programmes/<int:programme_id>/participants")
@document(
    "List a programme's participants",
    description="Page by page, in a stable order: pass the answer's ``next_after`` as ``after``.",
    tags=_TAGS,
    query=PlatformParticipantsQuery,
    responses={200: PlatformParticipantsOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("roster:read",),
)
@key_required("roster:read")
def participants(programme_id: int) -> dict[str, Any]:
    args = PlatformParticipantsQuery().load(request.args)
    programme = programmes.platform_programme(current_key().platform_id, programme_id)
    return PlatformParticipantsOut().dump(_page(programme.id, args["limit"], args["after"]))


@bp.put("/api/platform/programmes/<int:programme_id>/participants")
@document(
    "Add or update participants",
    description="A batch keyed by LMS user id, all or nothing: one bad row rejects it (422, every bad "
    "row listed in ``rows``) and nothing is written. Roles follow the LMS's rule: a role the coordinator "
    "set or the person chose stands, a mentor in a live match stays one, coordinators are not changed.",
    tags=_TAGS,
    body=PlatformRosterIn,
    responses={200: PlatformRosterOut},
    auth=("apiKey",),
    errors=(409, 429),
    scopes=("roster:write",),
)
@key_required("roster:write")
def upsert(programme_id: int) -> dict[str, Any]:
    programme = programmes.platform_programme(current_key().platform_id, programme_id)
    try:
        data = PlatformRosterIn().load(body())
    except ValidationError as error:
        raise batch.rejected(_schema_problems(error.messages)) from error
    results = batch.upsert(programme, data["participants"], key_id=current_key().key_id)
    return PlatformRosterOut().dump({"results": results})


def _schema_problems(messages: Any) -> list[dict[str, Any]]:
    """Marshmallow's messages as the batch's list of bad rows."""
    rows = messages.get("participants") if isinstance(messages, dict) else None
    if not isinstance(rows, dict):  # the body itself is wrong: no list, an empty one, too long
        found = rows if rows is not None else messages
        return [{"index": None, "sub": None, "field": "participants", "message": _words(found)}]
    return [
        {"index": index, "sub": None, "field": field, "message": _words(words)}
        for index, problems in sorted(rows.items(), key=lambda item: int(item[0]))
        for field, words in (problems.items() if isinstance(problems, dict) else [("row", problems)])
    ]


def _words(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {_words(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return " ".join(map(str, messages))
    return str(messages)
