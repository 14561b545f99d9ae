"""What this feature adds to a match's history: the nudges its members received, its goals (set,
updated, achieved, progress notes), its milestone completions and its members' webinar attendance.

Each source follows :mod:`lti_tool.mentoring.conversations.history`: newest first, at most
``filters.limit`` rows, strictly before the keyset cursor, searched (``q``) and windowed in SQL.
Goals and milestones have no public module but their tables (``goals.models``); goal changes are
read from the audit trail the goals feature writes (``goal.create``, ``goal.update``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from lti_tool.audit import AuditEvent
from lti_tool.db import db
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.conversations.history import HistoryEntry, HistoryFilters
from lti_tool.mentoring.goals.models import (
    CompletionState,
    Goal,
    GoalNote,
    GoalStatus,
    Milestone,
    MilestoneCompletion,
)
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.mentoring.webinars.models import Webinar, WebinarRegistration

KIND_LABELS: dict[str, LazyString] = {
    "nudge": _l("reminder"),
    "goal": _l("goal"),
    "milestone": _l("milestone"),
    "webinar": _l("webinar attended"),
}


def _window(at: Any, row_id: Any, filters: HistoryFilters, prefix: str) -> list[Any]:
    clauses = []
    bound = history.keyset_clause(at, row_id, filters, prefix)
    if bound is not None:
        clauses.append(bound)
    if filters.since is not None:
        clauses.append(at >= filters.since)
    if filters.until is not None:
        clauses.append(at < filters.until)
    return clauses


def _search(filters: HistoryFilters, *columns: Any) -> list[Any]:
    if not filters.q:
        return []
    like = f"%{history.escape_like(filters.q)}%"
    return [sa.or_(*(column.ilike(like, escape="\\") for column in columns))]


# -- nudges ------------------------------------------------------------------------------------------


def member_user_ids(match_id: int) -> set[int]:
    mentor = (
        sa.select(Participant.user_id)
        .join(Match, Match.mentor_id == Participant.id)
        .where(Match.id == match_id)
    )
    mentees = (
        sa.select(Participant.user_id)
        .join(MatchMentee, MatchMentee.mentee_id == Participant.id)
        .where(MatchMentee.match_id == match_id)
    )
    return set(db.session.execute(sa.union(mentor, mentees)).scalars())


def nudge_entries(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    """Nudges to the pair's members; a nudge to someone else about the pair (a coordinator asked
    to step in) only for its recipient and the programme's staff (readers who are not members)."""
    members = member_user_ids(match_id)
    visible = (
        []
        if filters.viewer_user_id is not None and filters.viewer_user_id not in members
        else [sa.or_(Nudge.user_id.in_(members), Nudge.user_id == filters.viewer_user_id)]
    )
    query = sa.select(Nudge).where(
        Nudge.match_id == match_id,
        *visible,
        *_window(Nudge.sent_at, Nudge.id, filters, "nudge"),
        *_search(filters, Nudge.subject, Nudge.text),
    )
    rows = db.session.execute(
        query.order_by(Nudge.sent_at.desc(), Nudge.id.desc()).limit(filters.limit)
    ).scalars()
    return [
        HistoryEntry(
            at=n.sent_at,
            kind="nudge",
            key=history.entry_key("nudge", n.id),
            actor_user_id=None,
            title=n.subject,
            text=n.text,
            link=n.action_link,
            data={"nudge_kind": n.kind, "to_user_id": n.user_id, "action": n.action_label},
        )
        for n in rows
    ]


# -- goals ---------------------------------------------------------------------------------------------


def goal_entries(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    """Goals set and updated (from the audit trail) and their progress notes."""
    return _goal_changes(match_id, filters) + _goal_notes(match_id, filters)


def _goal_changes(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    query = (
        sa.select(AuditEvent, Goal)
        .join(
            Goal,
            sa.and_(AuditEvent.subject_type == "goal", AuditEvent.subject_id == sa.cast(Goal.id, sa.String)),
        )
        .where(
            Goal.match_id == match_id,
            AuditEvent.action.in_(("goal.create", "goal.update")),
            *_window(AuditEvent.at, AuditEvent.id, filters, "goal"),
            *_search(filters, Goal.title, Goal.measure),
        )
    )
    rows = db.session.execute(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(filters.limit)
    ).all()
    last_status_change = _last_status_changes({goal.id for _event, goal in rows})
    entries = []
    for event, goal in rows:
        changes = list(event.detail.get("changes") or [])
        if event.action == "goal.create":
            what, title = "created", _("Goal set: %(title)s", title=goal.title)
        elif last_status_change.get(goal.id) == event.id and goal.status is GoalStatus.ACHIEVED:
            what, title = "completed", _("Goal achieved: %(title)s", title=goal.title)
        else:
            what, title = "updated", _("Goal updated: %(title)s", title=goal.title)
        entries.append(
            HistoryEntry(
                at=event.at,
                kind="goal",
                key=history.entry_key("goal", event.id),
                actor_user_id=event.actor_user_id,
                title=title,
                text=goal.measure,
                link=f"/goals/matches/{match_id}",
                data={"goal_id": goal.id, "event": what, "changes": changes, "status": goal.status.value},
            )
        )
    return entries


def _last_status_changes(goal_ids: set[int]) -> dict[int, int]:
    """The audit id of each goal's latest change that touched its status."""
    if not goal_ids:
        return {}
    rows = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.subject_id, AuditEvent.detail).where(
            AuditEvent.subject_type == "goal",
            AuditEvent.action == "goal.update",
            AuditEvent.subject_id.in_([str(i) for i in goal_ids]),
        )
    ).all()
    latest: dict[int, int] = {}
    for event_id, subject_id, detail in rows:
        if "status" in (detail.get("changes") or []):
            goal_id = int(subject_id)
            latest[goal_id] = max(latest.get(goal_id, 0), event_id)
    return latest


def _goal_notes(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    query = (
        sa.select(GoalNote, Goal.title)
        .join(Goal, Goal.id == GoalNote.goal_id)
        .where(
            Goal.match_id == match_id,
            *_window(GoalNote.created_at, GoalNote.id, filters, "goalnote"),
            *_search(filters, GoalNote.text, Goal.title),
        )
    )
    rows = db.session.execute(
        query.order_by(GoalNote.created_at.desc(), GoalNote.id.desc()).limit(filters.limit)
    ).all()
    return [
        HistoryEntry(
            at=note.created_at,
            kind="goal",
            key=history.entry_key("goalnote", note.id),
            actor_user_id=note.author_user_id,
            title=_("Progress on a goal: %(title)s", title=title),
            text=note.text,
            link=f"/goals/matches/{match_id}",
            data={"goal_id": note.goal_id, "event": "note"},
        )
        for note, title in rows
    ]


# -- milestones ------------------------------------------------------------------------------------------


def milestone_entries(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    """Milestones completed by the match's mentees (a mark awaiting confirmation is not done yet)."""
    done_at = MilestoneCompletion.completed_at
    query = (
        sa.select(MilestoneCompletion, Milestone.title, Participant.user_id)
        .join(Milestone, Milestone.id == MilestoneCompletion.milestone_id)
        .join(Participant, Participant.id == MilestoneCompletion.participant_id)
        .where(
            MilestoneCompletion.match_id == match_id,
            MilestoneCompletion.state == CompletionState.COMPLETED,
            done_at.is_not(None),
            *_window(done_at, MilestoneCompletion.id, filters, "milestone"),
            *_search(filters, Milestone.title, MilestoneCompletion.note),
        )
    )
    rows = db.session.execute(
        query.order_by(done_at.desc(), MilestoneCompletion.id.desc()).limit(filters.limit)
    ).all()
    entries = []
    for completion, title, mentee_user_id in rows:
        assert completion.completed_at is not None
        entries.append(
            HistoryEntry(
                at=completion.completed_at,
                kind="milestone",
                key=history.entry_key("milestone", completion.id),
                actor_user_id=completion.confirmed_by_user_id or completion.marked_by_user_id,
                title=_("Milestone completed: %(title)s", title=title),
                text=completion.note,
                link=f"/goals/matches/{match_id}",
                data={
                    "milestone_id": completion.milestone_id,
                    "mentee_user_id": mentee_user_id,
                    "source": completion.source.value,
                },
            )
        )
    return entries


# -- webinar attendance ------------------------------------------------------------------------------------


def attendance_entries(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    """Webinars the match's members attended while the match was under way."""
    match = db.session.get(Match, match_id)
    if match is None:
        return []
    members = sa.union(
        sa.select(Match.mentor_id.label("pid")).where(Match.id == match_id),
        sa.select(MatchMentee.mentee_id.label("pid")).where(MatchMentee.match_id == match_id),
    ).subquery()
    attended = WebinarRegistration.attended_at
    clauses = [attended.is_not(None), attended >= (match.started_at or match.created_at)]
    if match.ended_at is not None:
        clauses.append(attended <= match.ended_at)
    query = (
        sa.select(WebinarRegistration, Webinar.title, Participant.user_id)
        .join(Webinar, Webinar.id == WebinarRegistration.webinar_id)
        .join(Participant, Participant.id == WebinarRegistration.participant_id)
        .where(
            WebinarRegistration.participant_id.in_(sa.select(members.c.pid)),
            *clauses,
            *_window(attended, WebinarRegistration.id, filters, "webinar"),
            *_search(filters, Webinar.title),
        )
    )
    rows = db.session.execute(
        query.order_by(attended.desc(), WebinarRegistration.id.desc()).limit(filters.limit)
    ).all()
    entries = []
    for registration, title, user_id in rows:
        assert registration.attended_at is not None
        entries.append(
            HistoryEntry(
                at=registration.attended_at,
                kind="webinar",
                key=history.entry_key("webinar", registration.id),
                actor_user_id=user_id,
                title=_("Attended the webinar: %(title)s", title=title),
                link=f"/webinars/{registration.webinar_id}",
                data={"webinar_id": registration.webinar_id},
            )
        )
    return entries


SOURCES: tuple[tuple[str, history.SourceFn, tuple[str, ...]], ...] = (
    ("nudges", nudge_entries, ("nudge",)),
    ("goals", goal_entries, ("goal",)),
    ("milestones", milestone_entries, ("milestone",)),
    ("webinar_attendance", attendance_entries, ("webinar",)),
)
