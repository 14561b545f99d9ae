"""The decisions recorded about a match: their titles and a match's list of them.

Every decision that changes who is paired with whom is written to the audit trail
(``subject_type="match"``) with who took it, when and why. This public module names them for the
coordinator's history and for the match space's timeline.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.matching.models import Match

#: How a match's history names each decision matching records about it (``audit.record`` actions).
DECISION_TITLES: dict[str, LazyString] = {
    "match.assigned": _l("Matching: assigned by a coordinator"),
    "match.swapped": _l("Matching: mentors swapped"),
    "match.locked": _l("Matching: pair locked"),
    "match.unlocked": _l("Matching: pair unlocked"),
    "match.removed": _l("Matching: proposal removed"),
    "match.activated": _l("Matching: match started"),
    "match.ended": _l("Matching: match ended"),
    "match.rematch_requested": _l("Matching: new match requested"),
    "match.accepted_request": _l("Matching: request accepted"),
    "match.proposed": _l("Matching: proposed by hand"),
    "match.approved": _l("Matching: approved, starts with the programme"),
    "match.planned_end_set": _l("Matching: planned end changed"),
    "match.checkin_sent": _l("Matching: mid-point check-in sent"),
    "match.midpoint_written": _l("Matching: check-in written"),
    "match.closure_proposed": _l("Matching: closing proposed"),
    "match.closure_declined": _l("Matching: closing declined"),
    "match.closure_withdrawn": _l("Matching: closing proposal taken back"),
    "match.closing_written": _l("Matching: closing reflection written"),
    "match.completed": _l("Matching: match completed"),
    "match.end_notice_sent": _l("Matching: programme end notice sent"),
    "match.closed_at_programme_end": _l("Matching: closed at the programme's end"),
    "match.member_left": _l("Matching: ended, a member left the programme"),
}


def decision_title(action: str) -> str:
    """The history's title for a recorded matching decision (never the raw action code)."""
    title = DECISION_TITLES.get(action)
    return str(title) if title is not None else _("Matching decision")


def history(match: Match) -> list[dict[str, Any]]:
    """Every recorded decision on a match: who, when, what and why."""
    rows = db.session.execute(
        sa.select(audit.AuditEvent, User)
        .outerjoin(User, audit.AuditEvent.actor_user_id == User.id)
        .where(audit.AuditEvent.subject_type == "match", audit.AuditEvent.subject_id == str(match.id))
        .order_by(audit.AuditEvent.at, audit.AuditEvent.id)
    ).all()
    return [
        {"at": e.at, "action": e.action, "actor": user.display_name if user else None, "detail": e.detail}
        for e, user in rows
    ]
