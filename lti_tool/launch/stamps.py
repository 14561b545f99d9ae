"""Course stamps: what keeps the programme homes remembered by launch memos honest.

A launch memo keeps what the person's programme home showed (``launch.memo``), so that a relaunch
opens it without the database. Whatever changes what a home shows (the programme's title or
matching mode, a participant's role or removal, a person's name) gives each course concerned a new
stamp once the change is committed; a card read under an older stamp is read again.

Changes are seen through the ORM, as every write to these rows in Ritmo goes through it; a bulk
(Core) update of roles, titles or names must call ``memo.stamp_courses`` itself. New rows need no
stamp: a participant or programme created now is in no card yet (the launch that creates them
stores its own card afterwards).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from lti_tool.accounts.models import Course, User
from lti_tool.launch import memo
from lti_tool.launch.models import Platform
from lti_tool.launch.tool_config import registration_scope
from lti_tool.mentoring.programmes.models import Participant, Programme

# What a home card shows, by row.
WATCHED: dict[type, tuple[str, ...]] = {
    Programme: ("title", "matching_mode"),
    Participant: ("role",),
    User: ("name", "given_name", "family_name", "sub"),
}
_PENDING = "ritmo_course_stamps"
_KINDS = ("courses", "programmes", "users")  # ids whose courses get a new stamp
log = logging.getLogger("lti_tool.launch")


def _changed(session: Session, row: Any, names: tuple[str, ...]) -> bool:
    if row in session.deleted:
        return True
    state = sa.inspect(row)
    return any(state.attrs[name].history.has_changes() for name in names)


def after_flush(session: Session, _context: Any) -> None:
    """Note what this flush changed that a home shows (history is still readable now); the courses
    are looked up once, after the commit, not at every flush of a long transaction."""
    pending: dict[str, set[int]] | None = None
    for row in (*session.dirty, *session.deleted):
        names = WATCHED.get(type(row))
        if names is None or not _changed(session, row, names):
            continue
        if pending is None:
            pending = session.info.setdefault(_PENDING, {name: set() for name in _KINDS})
        if isinstance(row, Programme):
            pending["courses"].add(row.course_id)  # from the row: a deleted one leaves the table
        elif isinstance(row, Participant):
            pending["programmes"].add(row.programme_id)
        elif isinstance(row, User):
            pending["users"].add(row.id)


def _courses_concerned(pending: dict[str, set[int]]) -> sa.Select[int, datetime, str]:
    of_users = sa.select(Participant.programme_id).where(Participant.user_id.in_(pending["users"]))
    programmes = sa.select(Programme.course_id).where(
        sa.or_(Programme.id.in_(pending["programmes"]), Programme.id.in_(of_users))
    )
    return (
        sa.select(Platform.id, Platform.created_at, Course.context_id)
        .join(Course, Course.platform_id == Platform.id)
        .where(sa.or_(Course.id.in_(pending["courses"]), Course.id.in_(programmes)))
    )


def after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    try:
        bind = session.get_bind()
        engine = bind if isinstance(bind, sa.Engine) else bind.engine
        with engine.connect() as conn:
            keys = {
                memo.course_key(registration_scope(platform_id, created_at), context_id)
                for platform_id, created_at, context_id in conn.execute(_courses_concerned(pending))
            }
        # Outlives every memo written before it (see ``memo.stamp_courses``).
        memo.stamp_courses(keys, 2 * int(current_app.config["LAUNCH_MEMO_SECONDS"]))
    except Exception:
        # The change is committed; failing the request now would only hide that. Launches need
        # the same cache, so they fail too until it is back.
        log.exception("course stamps not renewed: programme homes may show what they said before "
                      "this change until their launch memos expire")


def after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def listen() -> None:
    """Watch every session of the process (idempotent)."""
    for name, handler in (("after_flush", after_flush), ("after_commit", after_commit),
                          ("after_rollback", after_rollback)):
        if not sa.event.contains(Session, name, handler):
            sa.event.listen(Session, name, handler)
