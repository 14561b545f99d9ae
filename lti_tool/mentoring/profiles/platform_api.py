"""Participants' questionnaire answers for the institution's systems (an HR system feeding profiles;
API key, ``profiles:read`` / ``profiles:write``). Answers are checked exactly as the questionnaire
checks a participant's own (``service.save_answers``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields

from lti_tool.api.key_auth import current_key, key_required
from lti_tool.api.spec import document
from lti_tool.mentoring.profiles import schemas, service
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.web import body

bp = Blueprint("profiles_platform", __name__)
_TAGS = ("platform",)


class PlatformProfileOut(Schema):
    participant_id = fields.Integer(required=True)
    sub = fields.String(required=True, metadata={"description": "The person's user id in the LMS."})
    answers = fields.Dict(
        keys=fields.String(), values=fields.Raw(), required=True,
        metadata={"description": "Answers by question key, to the questions asked of the person's role."},
    )
    status = fields.Nested(schemas.ProfileStatusOut, required=True)


def _participant(programme_id: int, participant_id: int) -> Participant:
    programme = programmes.platform_programme(current_key().platform_id, programme_id)
    return programmes.get_participant(programme, participant_id)


def _profile(person: Participant) -> dict[str, Any]:
    answers = service.answers_of(person.id)
    asked = service.questions(person.programme_id, person.role)
    status = service.status(person, answers, asked)
    return {
        "participant_id": person.id,
        "sub": person.user.sub,
        "answers": {q.key: answers[q.id] for q in asked if q.id in answers},
        "status": {
            "complete": status.complete,
            "answered": status.answered,
            "total": status.total,
            "missing": status.missing_messages(),
        },
    }


@bp.get("/api/platform/programmes/<int:programme_id>/participants/<int:participant_id>/profile")
@document(
    "Read a participant's answers",
    description="The answers to the questions asked of the person's role, and what is still missing.",
    tags=_TAGS,
    responses={200: PlatformProfileOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("profiles:read",),
)
@key_required("profiles:read")
def profile(programme_id: int, participant_id: int) -> dict[str, Any]:
    return PlatformProfileOut().dump(_profile(_participant(programme_id, participant_id)))


@bp.put("/api/platform/programmes/<int:programme_id>/participants/<int:participant_id>/profile")
@document(
    "Write a participant's answers",
    description="Answers not sent stay as they are; null clears one. Checked as the questionnaire checks "
    "them: one bad answer rejects the request (422, by question key) and nothing is saved.",
    tags=_TAGS,
    body=schemas.ProfileAnswersIn,
    responses={200: PlatformProfileOut},
    auth=("apiKey",),
    errors=(429,),
    scopes=("profiles:write",),
)
@key_required("profiles:write")
def save_profile(programme_id: int, participant_id: int) -> dict[str, Any]:
    person = _participant(programme_id, participant_id)
    data = schemas.ProfileAnswersIn().load(body())
    service.save_answers(person, data["answers"])
    return PlatformProfileOut().dump(_profile(person))
