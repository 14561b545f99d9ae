"""The events a subscription may choose, and the body each delivery carries.

Public names are a contract of their own (``api_version`` "1"): they map onto Ritmo's domain events
(``match.approved`` is the domain's ``match.activated``: the moment an approved match starts).
A body names the platform and programme and carries ids the receiver can use to fetch more
(match ids, participants' LMS user ids ``sub``); never words people wrote.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.events import DomainEvent
from lti_tool.launch.models import Platform
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Participant, Programme

API_VERSION = "1"


@dataclass(frozen=True)
class EventType:
    name: str  # public
    domain_event: str
    label: Any  # lazy string, for the admin page


EVENTS: tuple[EventType, ...] = (
    EventType("match.approved", "match.activated", _l("A match was approved and started")),
    EventType("match.ended", "match.ended", _l("A match ended")),
    EventType("milestone.completed", "milestone.completed", _l("A milestone was completed")),
    EventType("support.request_opened", "support.request_opened", _l("A support request was opened")),
    EventType("pair.at_risk", "pair.at_risk", _l("A pair's rhythm became at risk")),
    EventType("survey.closed", "survey.closed", _l("A survey's window closed")),
)
NAMES = tuple(e.name for e in EVENTS)
BY_DOMAIN_EVENT = {e.domain_event: e for e in EVENTS}


@dataclass(frozen=True)
class Built:
    event_id: str
    platform_id: int
    body: str


def build(public_name: str, event: DomainEvent) -> Built | None:
    """The body of ``event`` under its public name; None when its programme is gone."""
    found = db.session.execute(
        sa.select(Programme, Platform)
        .join(Course, Course.id == Programme.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(Programme.id == event.programme_id)
    ).first()
    if found is None:
        return None
    programme, platform = found
    event_id = str(uuid.uuid4())
    payload = {
        "id": event_id,
        "type": public_name,
        "api_version": API_VERSION,
        "occurred_at": event.at.isoformat().replace("+00:00", "Z"),
        "platform": {"id": platform.id, "issuer": platform.issuer},
        "programme": {"id": programme.id, "title": programme.title},
        "data": _data(public_name, event),
    }
    return Built(event_id, platform.id, json.dumps(payload, separators=(",", ":"), sort_keys=True))


def _data(public_name: str, event: DomainEvent) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if event.match_id is not None:
        data["match"] = _match(event.match_id)
    if public_name == "match.ended":
        data["end_reason"] = event.data.get("end_reason")
    elif public_name == "milestone.completed":
        data["milestone_id"] = event.data.get("milestone_id")
        data["mentee"] = {"sub": _participant_sub(event.participant_id)}
    elif public_name == "support.request_opened":
        data["request_id"] = event.data.get("request_id")
        data["requester"] = {"sub": _user_sub(event.actor_user_id)}
    elif public_name == "pair.at_risk":
        data["reasons"] = list(event.data.get("reasons", []))
    elif public_name == "survey.closed":
        data["survey_id"] = event.data.get("survey_id")
        data["occasion"] = event.data.get("occasion")
    return data


def _match(match_id: int) -> dict[str, Any] | None:
    match = db.session.get(Match, match_id)
    if match is None:
        return None
    return {
        "id": match.id,
        "mentor": {"sub": _participant_sub(match.mentor_id)},
        "mentees": [{"sub": _participant_sub(m.mentee_id)} for m in match.members],
    }


def _participant_sub(participant_id: int | None) -> str | None:
    if participant_id is None:
        return None
    return db.session.execute(
        sa.select(User.sub).join(Participant, Participant.user_id == User.id)
        .where(Participant.id == participant_id)
    ).scalar_one_or_none()


def _user_sub(user_id: int | None) -> str | None:
    return None if user_id is None else db.session.execute(
        sa.select(User.sub).where(User.id == user_id)
    ).scalar_one_or_none()
