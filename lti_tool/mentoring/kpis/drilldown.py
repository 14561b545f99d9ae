"""The pairs or people behind each catalogue figure, as tables (a page shows the first
:data:`PAGE_ROWS` rows; the exports hold them all). Survey figures follow the surveys' privacy
rule (:mod:`.survey_drilldown`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from lti_tool.accounts.models import User
from lti_tool.accounts.models import display_name as shown_name
from lti_tool.db import db
from lti_tool.mentoring.goals.models import CompletionState, Goal, Milestone, MilestoneCompletion
from lti_tool.mentoring.kpis import measures
from lti_tool.mentoring.kpis.figures import WINDOW_DAYS
from lti_tool.mentoring.matching.models import EndReason, Match, MatchMentee
from lti_tool.mentoring.meetings.models import TAKING_PLACE, Meeting
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme

PAGE_ROWS = 500
STATUS_LABELS = {
    ParticipantStatus.ACTIVE: _l("Taking part"),
    ParticipantStatus.PAUSED: _l("Paused"),
    ParticipantStatus.WITHDRAWN: _l("Withdrawn"),
}
END_LABELS = {
    EndReason.COMPLETED: _l("Closed by the pair or a coordinator"),
    EndReason.REMATCH: _l("Asked for another partner"),
    EndReason.COORDINATOR: _l("Ended by a coordinator"),
    EndReason.REMOVED: _l("Proposal removed"),
    EndReason.PROGRAMME_ENDED: _l("Closed at the programme's end"),
    EndReason.WITHDRAWN: _l("A member left the programme"),
}


@dataclass
class Table:
    """One table of a drill-down: its caption, column headings and rows of plain values."""

    name: str
    caption: Any
    columns: list[Any]
    rows: list[list[Any]] = field(default_factory=list)
    note: Any = None


def _people(programme_id: int) -> sa.Select[*tuple[Any, ...]]:
    query: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            Participant.id,
            User.name,
            User.given_name,
            User.family_name,
            User.sub,
            Participant.role,
            Participant.status,
        )
        .join(User, User.id == Participant.user_id)
        .where(measures.taking_part(programme_id))
        .order_by(Participant.id)
    )
    return query


def _person(row: Any) -> str:
    return shown_name(row.name, row.given_name, row.family_name, row.sub)


def _yes(flag: bool) -> Any:
    return _l("Yes") if flag else _l("No")


def participation(programme: Programme, now: datetime) -> list[Table]:
    table = Table("people", _l("Mentors and mentees"), [_l("Name"), _l("Role"), _l("Status")])
    for row in db.session.execute(_people(programme.id)):
        table.rows.append([_person(row), row.role.label, STATUS_LABELS[row.status]])
    return [table]


def profile_completion(programme: Programme, now: datetime) -> list[Table]:
    table = Table(
        "people",
        _l("Mentors and mentees still in the programme"),
        [_l("Name"), _l("Role"), _l("Profile complete")],
    )
    query = (
        _people(programme.id)
        .add_columns(measures.complete_profiles().label("complete"))
        .where(Participant.status != ParticipantStatus.WITHDRAWN)
    )
    for row in db.session.execute(query):
        table.rows.append([_person(row), row.role.label, _yes(row.complete)])
    return [table]


def time_to_match(programme: Programme, now: datetime) -> list[Table]:
    first = measures.first_matches(programme.id, now)
    table = Table(
        "people", _l("Matched mentees"), [_l("Name"), _l("Joined"), _l("First match started"), _l("Days")]
    )
    query = (
        _people(programme.id)
        .add_columns(Participant.created_at, first.c.started_at)
        .join(first, first.c.mentee_id == Participant.id)
    )
    for row in db.session.execute(query):
        days = round(max((row.started_at - row.created_at).total_seconds(), 0) / 86400, 1)
        table.rows.append([_person(row), row.created_at.date(), row.started_at.date(), days])
    return [table]


def matched_share(programme: Programme, now: datetime) -> list[Table]:
    table = Table("people", _l("Mentees still in the programme"), [_l("Name"), _l("Status"), _l("Matched")])
    live = set(db.session.execute(measures.live_mentees(programme.id)).scalars())
    query = _people(programme.id).where(
        Participant.role == ParticipantRole.MENTEE, Participant.status != ParticipantStatus.WITHDRAWN
    )
    for row in db.session.execute(query):
        table.rows.append([_person(row), STATUS_LABELS[row.status], _yes(row.id in live)])
    return [table]


def pair_names(match_ids: list[int]) -> dict[int, str]:
    """ "Mentor with Mentee, Mentee" for each match."""
    mentor = aliased(Participant)
    found: dict[int, tuple[str, list[str]]] = {}
    for match_id, n, g, f, s in db.session.execute(
        sa.select(Match.id, User.name, User.given_name, User.family_name, User.sub)
        .join(mentor, mentor.id == Match.mentor_id)
        .join(User, User.id == mentor.user_id)
        .where(Match.id.in_(match_ids))
    ):
        found[match_id] = (shown_name(n, g, f, s), [])
    for match_id, n, g, f, s in db.session.execute(
        sa.select(MatchMentee.match_id, User.name, User.given_name, User.family_name, User.sub)
        .join(Participant, Participant.id == MatchMentee.mentee_id)
        .join(User, User.id == Participant.user_id)
        .where(MatchMentee.match_id.in_(match_ids))
        .order_by(MatchMentee.id)
    ):
        found[match_id][1].append(shown_name(n, g, f, s))
    return {mid: f"{who} — {', '.join(mentees)}" for mid, (who, mentees) in found.items()}


def _pairs(programme: Programme, condition: sa.ColumnElement[bool], *extra: Any) -> list[Any]:
    return list(
        db.session.execute(sa.select(Match.id, Match.started_at, *extra).where(condition).order_by(Match.id))
    )


def active_pairs(programme: Programme, now: datetime) -> list[Table]:
    table = Table("pairs", _l("Started pairs"), [_l("Pair"), _l("Started"), _l("Active in the last 30 days")])
    rows = _pairs(programme, measures.live_at(programme.id, now), measures.was_active(now).label("active"))
    names = pair_names([r.id for r in rows])
    table.rows = [[names.get(r.id, ""), r.started_at.date(), _yes(r.active)] for r in rows]
    return [table]


def meetings_per_pair(programme: Programme, now: datetime) -> list[Table]:
    since = now - timedelta(days=WINDOW_DAYS)
    held = (
        sa.select(sa.func.count())
        .where(
            Meeting.match_id == Match.id,
            Meeting.status.in_(TAKING_PLACE),
            Meeting.starts_at >= since,
            Meeting.starts_at < now,
        )
        .scalar_subquery()
    )
    table = Table(
        "pairs", _l("Started pairs"), [_l("Pair"), _l("Started"), _l("Meetings in the last 30 days")]
    )
    rows = _pairs(programme, measures.live_at(programme.id, now), held.label("held"))
    names = pair_names([r.id for r in rows])
    table.rows = [[names.get(r.id, ""), r.started_at.date(), r.held] for r in rows]
    return [table]


def milestones_completed(programme: Programme, now: datetime) -> list[Table]:
    table = Table("people", _l("Milestones completed"), [_l("Name"), _l("Milestone"), _l("Completed on")])
    query = (
        sa.select(
            User.name,
            User.given_name,
            User.family_name,
            User.sub,
            Milestone.title,
            MilestoneCompletion.completed_at,
        )
        .join(Milestone, Milestone.id == MilestoneCompletion.milestone_id)
        .join(Participant, Participant.id == MilestoneCompletion.participant_id)
        .join(User, User.id == Participant.user_id)
        .where(Milestone.programme_id == programme.id, MilestoneCompletion.state == CompletionState.COMPLETED)
        .order_by(MilestoneCompletion.completed_at, MilestoneCompletion.id)
    )
    for row in db.session.execute(query):
        table.rows.append([_person(row), row.title, row.completed_at.date() if row.completed_at else None])
    return [table]


def goals_completed(programme: Programme, now: datetime) -> list[Table]:
    rows = db.session.execute(
        sa.select(Goal.match_id, Goal.title, Goal.status)
        .join(Match, Match.id == Goal.match_id)
        .where(Match.programme_id == programme.id)
        .order_by(Goal.match_id, Goal.id)
    ).all()
    names = pair_names(sorted({r.match_id for r in rows}))
    table = Table("pairs", _l("The pairs' goals"), [_l("Pair"), _l("Goal"), _l("Status")])
    table.rows = [[names.get(r.match_id, ""), r.title, r.status.label] for r in rows]
    return [table]


def programme_completion(programme: Programme, now: datetime) -> list[Table]:
    condition = sa.and_(
        Match.programme_id == programme.id, Match.started_at.is_not(None), Match.started_at < now
    )
    rows = _pairs(programme, condition, Match.ended_at, Match.end_reason)
    names = pair_names([r.id for r in rows])
    table = Table("pairs", _l("Started pairs"), [_l("Pair"), _l("Started"), _l("Ended"), _l("Why it ended")])
    table.rows = [
        [
            names.get(r.id, ""),
            r.started_at.date(),
            r.ended_at.date() if r.ended_at else None,
            END_LABELS.get(r.end_reason, "") if r.end_reason else "",
        ]
        for r in rows
    ]
    return [table]


DRILLS: dict[str, Callable[[Programme, datetime], list[Table]]] = {
    "participation": participation,
    "profile_completion": profile_completion,
    "time_to_match": time_to_match,
    "matched_share": matched_share,
    "active_pairs": active_pairs,
    "meetings_per_pair": meetings_per_pair,
    "milestones_completed": milestones_completed,
    "goals_completed": goals_completed,
    "programme_completion": programme_completion,
}
