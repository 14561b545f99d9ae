"""What a kept programme home depends on: a change to it gives the course a new launch stamp.

The launch's join keeps the home row it read in the launch memo (``home.join``), and a relaunch
with the same claims reuses it while the course's stamp is the one it was read under. What a home
row shows changes through the ORM: a programme's title, matching mode or role source, or its
removal; a participant's role, its origin or the LMS's word, or the participant's removal; a
person's names. This notes such changes at each flush (while their history is readable) and
renews the stamps of the courses concerned once the transaction commits. Two writes go around the
ORM, and need no stamp: the join's own UPDATE of a participation (the launch that makes it keeps
the row it wrote) and the launch's UPDATE of a person's names (a new name is a new claim: the
memo misses and the relaunch reads afresh). New rows need none either: a kept home always has its
programme and participation, and a course's home is its first programme, which a new one is not.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from lti_tool.accounts.models import User
from lti_tool.db import db, listen_once
from lti_tool.launch import memo
from lti_tool.mentoring.programmes.models import Participant, Programme

# What a home row shows, by the row it is read from.
WATCHED: dict[type, tuple[str, ...]] = {
    Programme: ("title", "matching_mode", "role_source"),
    Participant: ("role", "role_origin", "lms_role"),
    User: ("name", "given_name", "family_name", "sub"),
}
_PENDING = "ritmo_home_changes"
_CHUNK = 1000  # ids per IN list when a roster sync renamed many people
log = logging.getLogger(__name__)


def _changed(session: Session, row: Any, names: tuple[str, ...]) -> bool:
    if row in session.deleted:
        return True
    state = sa.inspect(row)
    return any(state.attrs[name].history.has_changes() for name in names)


def _flushed(session: Session, _context: Any) -> None:
    pending: dict[str, set[int]] | None = None
    for row in (*session.dirty, *session.deleted):
        names = WATCHED.get(type(row))
        if names is None or not _changed(session, row, names):
            continue
        if pending is None:
            pending = session.info.setdefault(_PENDING, {"courses": set(), "programmes": set(),
                                                         "users": set()})
        if isinstance(row, Programme):
            pending["courses"].add(row.course_id)  # from the row: a deleted one leaves the table
        elif isinstance(row, Participant):
            pending["programmes"].add(row.programme_id)
        else:
            pending["users"].add(row.id)


def _chunks(ids: set[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[start:start + _CHUNK] for start in range(0, len(ordered), _CHUNK)]


def _courses(pending: dict[str, set[int]]) -> set[int]:
    """The courses whose homes the noted changes touch (one read per thousand ids)."""
    courses = set(pending["courses"])
    with db.engine.connect() as conn:  # the session is mid-commit: a connection of its own
        for ids in _chunks(pending["programmes"]):
            courses.update(conn.execute(
                sa.select(Programme.course_id).where(Programme.id.in_(ids))
            ).scalars())
        for ids in _chunks(pending["users"]):
            courses.update(conn.execute(
                sa.select(Programme.course_id).distinct()
                .join(Participant, Participant.programme_id == Programme.id)
                .where(Participant.user_id.in_(ids))
            ).scalars())
    return courses


def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    try:
        memo.renew_courses(_courses(pending))
    except Exception:
        # The change is committed; failing the request now would only hide that. Launches need the
        # same cache, so they fail too until it is back.
        log.exception("course stamps not renewed: relaunches may show programme homes as they "
                      "were before this change until their launch memos expire")


def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def listen() -> None:
    """Watch every session of the process (idempotent)."""
    listen_once(Session, "after_flush", _flushed)
    listen_once(Session, "after_commit", _committed)
    listen_once(Session, "after_rollback", _rolled_back)
