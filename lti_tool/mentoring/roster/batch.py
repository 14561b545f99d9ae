"""A roster batch from the institution's own system (an API key with ``roster:write``): people by
LMS user id, added or updated under the rules the LMS itself follows.

The sender stands where the LMS stands, so the LMS's rule applies (``programmes.service.settle``):
a role the coordinator assigned or the person chose stands; the system may make a mentee a mentor,
and takes a mentor back only where the programme takes roles from the LMS and no live match holds
them. Coordinators are the LMS's and the course's to name: a batch neither makes nor changes one.
Like a roster sync, ``withdrawn`` ends a person's matches (``participant.withdrawn``) and
``active`` brings a withdrawn person back (a coordinator's pause stands).

The batch is checked whole before anything is written: one bad row rejects it, with every bad row
listed, and the programme stays as it was.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Conflict, InvalidInput
from lti_tool.events import DomainEvent, emit
from lti_tool.identity import revocation
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme
from lti_tool.mentoring.programmes.service import in_live_matches, origin_of, settle
from lti_tool.mentoring.roster.service import MAX_REPORTED_ERRORS
from lti_tool.safety.names import clean_name

MAX_ROWS = 1000
WITHDRAWN = "withdrawn"


def _problems(rows: list[dict[str, Any]], people: dict[str, Participant]) -> list[dict[str, Any]]:
    """What the rules refuse, row by row (the shapes were checked by the schema)."""
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        sub = row["sub"]
        if sub in seen:
            problems.append({"index": index, "sub": sub, "field": "sub",
                             "message": _("The same LMS user id is already in row %(n)d.", n=seen[sub])})
            continue
        seen[sub] = index
        person = people.get(sub)
        role = row.get("role")
        coordinates = person is not None and person.role is ParticipantRole.COORDINATOR
        if coordinates and role not in (None, ParticipantRole.COORDINATOR):
            problems.append({"index": index, "sub": sub, "field": "role",
                             "message": _("This person coordinates the programme; their role is not "
                                          "changed from here. Leave out the role.")})
    return problems


def upsert(
    programme: Programme, rows: list[dict[str, Any]], *, key_id: int | None = None
) -> list[dict[str, Any]]:
    """Apply the batch (rows as ``PlatformRosterRowIn`` loads them); what happened to each row. Commits."""
    platform_id = programme.course.platform_id
    subs = [row["sub"] for row in rows]
    users = {
        u.sub: u
        for u in db.session.execute(
            sa.select(User).where(User.platform_id == platform_id, User.sub.in_(subs))
        ).scalars()
    }
    people = {
        sub: person
        for person, sub in db.session.execute(
            sa.select(Participant, User.sub)
            .join(User, User.id == Participant.user_id)
            .where(Participant.programme_id == programme.id, User.sub.in_(subs))
        ).all()
    }
    problems = _problems(rows, people)
    if problems:
        raise rejected(problems)
    try:
        results = _write(programme, rows, users, people, key_id)
    except IntegrityError as error:
        # Another batch (or a launch) added one of these people at the same moment.
        db.session.rollback()
        raise Conflict(
            _("Someone in this batch was added by another change at the same moment; nothing was "
              "written. Send the batch again.")
        ) from error
    return results


def _write(
    programme: Programme,
    rows: list[dict[str, Any]],
    users: dict[str, User],
    people: dict[str, Participant],
    key_id: int | None,
) -> list[dict[str, Any]]:
    platform_id = programme.course.platform_id
    live: set[int] | None = None

    def in_live_match(participant_id: int) -> bool:
        nonlocal live
        if live is None:  # one query, and only when a mentor would be taken back
            live = in_live_matches(programme.id)
        return participant_id in live

    ended: set[int] = set()
    results = []
    for row in rows:
        user = users.get(row["sub"])
        if user is None:
            user = users[row["sub"]] = User(platform_id=platform_id, sub=row["sub"])
            db.session.add(user)
        if row.get("name"):
            user.name = clean_name(row["name"])
        if row.get("email"):
            user.email = row["email"]
        db.session.flush()
        person = people.get(row["sub"])
        if person is None:
            results.append(_add(programme, user, row))
            continue
        before = (person.role, person.status, person.capacity)
        outcome = _update(programme, person, row, functools.partial(in_live_match, person.id), key_id)
        if (person.role, person.status) != before[:2]:
            ended.add(user.id)
        changed = (person.role, person.status, person.capacity) != before
        outcome["outcome"] = "updated" if changed else "unchanged"
        results.append(outcome)
    revocation.revoke(ended)
    counts = {
        name: sum(1 for r in results if r["outcome"] == name)
        for name in ("added", "updated", "unchanged", "skipped")
    }
    audit.record("roster.batch", "programme", programme.id, api_key_id=key_id, **counts)
    db.session.commit()
    return results


def _add(programme: Programme, user: User, row: dict[str, Any]) -> dict[str, Any]:
    if row.get("status") == WITHDRAWN:
        # As a roster sync does: someone who has left is not added.
        return {"sub": user.sub, "participant_id": None, "outcome": "skipped", "role": None,
                "status": None, "role_kept": False}
    role = row.get("role") or ParticipantRole.MENTEE
    person = Participant(programme_id=programme.id, user_id=user.id, role=role, lms_role=role,
                         capacity=row.get("capacity"))
    db.session.add(person)
    db.session.flush()
    return {"sub": user.sub, "participant_id": person.id, "outcome": "added", "role": role,
            "status": person.status, "role_kept": False}


def _update(
    programme: Programme, person: Participant, row: dict[str, Any], live_match: Any, key_id: int | None
) -> dict[str, Any]:
    status = row.get("status")
    if status == WITHDRAWN and person.status is not ParticipantStatus.WITHDRAWN:
        person.status = ParticipantStatus.WITHDRAWN
        db.session.flush()
        emit(DomainEvent("participant.withdrawn", programme.id, participant_id=person.id,
                         data={"api_key_id": key_id}))
    elif status == "active" and person.status is ParticipantStatus.WITHDRAWN:
        person.status = ParticipantStatus.ACTIVE
    role = row.get("role")
    if role is not None:
        person.lms_role = role
        changed = settle(current=person.role, origin=person.role_origin, lms_says=role,
                         source=programme.role_source, live_match=live_match)
        if changed is not None:
            person.role, person.role_origin = changed, origin_of(changed, False)
            emit(DomainEvent("participant.role_changed", programme.id, participant_id=person.id,
                             data={"api_key_id": key_id}))
    if "capacity" in row:
        person.capacity = row["capacity"]
    return {"sub": row["sub"], "participant_id": person.id, "role": person.role, "status": person.status,
            "role_kept": role is not None and role is not person.role}


def rejected(problems: list[dict[str, Any]]) -> InvalidInput:
    """The 422 listing every bad row (``index`` counts from 0, in the order sent)."""
    shown = problems[:MAX_REPORTED_ERRORS]
    errors: dict[str, list[str]] = {}
    for p in shown:
        where = p["field"] if p["index"] is None else f"participants[{p['index']}].{p['field']}"
        errors.setdefault(where, []).append(str(p["message"]))
    return InvalidInput(
        ngettext(
            "%(num)d problem in the batch; nothing was written. Correct the row listed and send it again.",
            "%(num)d problems in the batch; nothing was written. Correct the rows listed and send it again.",
            len(problems),
        ),
        errors=errors,
        rows=shown,
    )
