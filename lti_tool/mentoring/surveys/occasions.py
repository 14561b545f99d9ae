"""The occasions that send a scheduled survey, and the periodic run that catches up on them.

What happens at a moment arrives as a domain event, inside the emitter's transaction: a match
starts (``match.activated``: the baseline of its members, when the schedule says "when the first
match starts"), a meeting is held (``meeting.held``: the short survey after it), a match completes
(``match.completed``: the closing survey; a match ended early by a rematch or a withdrawal is not
a relationship that ran its course, and its members are asked when their next one completes).

What falls due with time is found by :func:`run`, called by the periodic task ``surveys.schedules``
with the clock and by tests with any ``now``: the baseline of people who joined, pulses of active
matches, the programme's end, and the reminders (``surveys.reminders``). It also re-creates what
an event handler could not (a survey scheduled after its match started): every invitation is
idempotent, so running twice sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lti_tool.db import db, utcnow
from lti_tool.events import DomainEvent
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.surveys import invitations, reminders, windows
from lti_tool.mentoring.surveys.models import Survey
from lti_tool.mentoring.surveys.schedules import (
    BASELINE_JOINED,
    BASELINE_MATCH_STARTED,
    Schedule,
    scheduled_surveys,
)

TASK = "surveys.schedules"
EVENTS = ("match.activated", "meeting.held", "match.completed")


def members(match: Match) -> list[Participant]:
    return [match.mentor, *[m.mentee for m in match.members]]


def on_event(event: DomainEvent) -> None:
    """One handler for the three events (subscribed from the surveys feature's ``init_app``)."""
    if event.match_id is None:
        return
    programme = db.session.get(Programme, event.programme_id)
    match = db.session.get(Match, event.match_id)
    if programme is None or match is None or match.programme_id != programme.id:
        return
    now = utcnow()
    for survey in scheduled_surveys(programme.id):
        occasion = _occasion_for(event, Schedule.of(survey))
        if occasion is not None:
            invitations.invite_many(
                programme, survey, members(match), occasion, now, match_id=match.id, now=now
            )


def _occasion_for(event: DomainEvent, schedule: Schedule) -> str | None:
    if event.name == "match.activated" and schedule.baseline == BASELINE_MATCH_STARTED:
        return invitations.BASELINE
    if event.name == "meeting.held" and schedule.after_meeting and event.data.get("meeting_id"):
        return invitations.meeting_occasion(int(event.data["meeting_id"]))
    if event.name == "match.completed" and schedule.closing:
        return invitations.CLOSING
    return None


def periodic_task(payload: dict[str, Any]) -> None:
    run(utcnow())


def run(now: datetime) -> dict[str, int]:
    """Create every invitation due by ``now`` in every programme, then send due reminders."""
    invited = 0
    ids = list(db.session.execute(sa.select(Programme.id).order_by(Programme.id)).scalars())
    for programme_id in ids:
        programme = db.session.get(Programme, programme_id)
        if programme is not None:
            invited += invite_due(programme, now)
            db.session.commit()  # programme by programme: a failure elsewhere keeps what was sent
    reminded = reminders.remind(now)
    windows.announce_closed(now)  # ``survey.closed`` for windows that closed since
    db.session.commit()
    return {"invited": invited, "reminded": reminded}


def invite_due(programme: Programme, now: datetime) -> int:
    surveys = scheduled_surveys(programme.id)
    if not surveys:
        return 0
    matches = _active_matches(programme.id)
    count = 0
    for survey in surveys:
        schedule = Schedule.of(survey)
        count += _baseline(programme, survey, schedule, matches, now)
        count += _pulses(programme, survey, schedule, matches, now)
        opens = schedule.programme_end_opens(programme)
        if opens is not None and opens <= now:
            count += invitations.invite_many(
                programme, survey, invitations.audience(survey), invitations.PROGRAMME_END, opens, now=now
            )
    return count


def _active_matches(programme_id: int) -> list[Match]:
    return list(
        db.session.execute(
            sa.select(Match)
            .where(
                Match.programme_id == programme_id,
                Match.status == MatchStatus.ACTIVE,
                Match.started_at.is_not(None),
            )
            .options(
                selectinload(Match.mentor),
                selectinload(Match.members).selectinload(MatchMentee.mentee),
            )
            .order_by(Match.id)
        ).scalars()
    )


def _baseline(
    programme: Programme, survey: Survey, schedule: Schedule, matches: list[Match], now: datetime
) -> int:
    """People who joined are asked at once; with "when the first match starts", the members of
    matches started within the window (the event asked them already unless the survey came later)."""
    if schedule.baseline == BASELINE_JOINED:
        return invitations.invite_many(
            programme, survey, invitations.audience(survey), invitations.BASELINE, now, now=now
        )
    if schedule.baseline != BASELINE_MATCH_STARTED:
        return 0
    baseline = invitations.BASELINE
    done = {(user_id, baseline) for user_id in invitations.invited_users(survey.id, baseline)}
    count = 0
    for match in matches:
        started = match.started_at
        assert started is not None
        if started + schedule.window > now:  # longer ago, it is no longer a baseline
            people = members(match)
            count += invitations.invite_many(
                programme, survey, people, baseline, started, match_id=match.id, now=now, done=done
            )
            done.update((p.user_id, baseline) for p in people)
    return count


def _pulses(
    programme: Programme, survey: Survey, schedule: Schedule, matches: list[Match], now: datetime
) -> int:
    if schedule.pulse_after_days is None:
        return 0
    done = invitations.opened_since(survey.id, now - schedule.window)
    count = 0
    for match in matches:
        assert match.started_at is not None
        due = schedule.pulse_due(match.started_at, now)
        if due is not None:
            number, opens = due
            occasion = invitations.pulse_occasion(match.id, number)
            count += invitations.invite_many(
                programme, survey, members(match), occasion, opens, match_id=match.id, now=now, done=done
            )
    return count
