"""The daily reminders: milestones and goals coming due or overdue, and profiles left incomplete
before matching. Each is a nudge (:func:`~lti_tool.mentoring.nudges.service.send_nudge`), so the
weekly limit and the dedupe keys hold: a reminder the limit held back today is tried again
tomorrow, and one that was sent is never sent again.

:func:`run` takes ``now`` so that tests and the rhythm bench drive time; the periodic task
``nudges.daily`` calls it with the clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date, lazy_ngettext
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from lti_tool import timezones
from lti_tool.db import db, utcnow
from lti_tool.mentoring.goals.models import CompletionState, Goal, GoalStatus, Milestone, MilestoneCompletion
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.nudges.models import Nudge
from lti_tool.mentoring.nudges.service import send_nudge
from lti_tool.mentoring.profiles import service as profiles
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme

DAILY_TASK = "nudges.daily"
#: The reminder before a due date comes this many days ahead (on the programme's calendar).
DAYS_BEFORE = 3
#: After this many days overdue, a reminder the weekly limit kept back is no longer tried.
OVERDUE_WINDOW_DAYS = 14
#: A new participant has this long to fill in their profile before the first reminder.
PROFILE_GRACE = timedelta(days=2)
#: Until they are matched, a person with an incomplete profile is reminded once a week.
PROFILE_EVERY = timedelta(days=7)
PROFILE_KIND = "profile.incomplete"
OPEN_GOAL = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)


def lazy(fn: Callable[[], str]) -> LazyString:
    """Text built when read, in the recipient's language (dates too)."""
    return LazyString(fn)


def daily_task(payload: dict[str, Any]) -> None:
    """The periodic job: every programme's reminders for today."""
    run(utcnow())


def run(now: datetime) -> int:
    """Send today's reminders in every programme; returns how many nudges went out."""
    sent = 0
    for programme in db.session.execute(sa.select(Programme).order_by(Programme.id)).scalars().all():
        sent += remind_due(programme, now) + remind_profiles(programme, now)
        db.session.commit()  # one programme at a time: a failure elsewhere keeps what was sent
    return sent


def today_in(programme: Programme, now: datetime) -> date:
    return timezones.in_zone(now, timezones.shown_zone_name(programme.timezone)).date()


def phase(due: date, today: date) -> str | None:
    """``"before"`` in the days just ahead of ``due``, ``"after"`` once it passed, else None."""
    if due - timedelta(days=DAYS_BEFORE) <= today < due:
        return "before"
    if due < today <= due + timedelta(days=OVERDUE_WINDOW_DAYS):
        return "after"
    return None


# -- milestones and goals ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    match: Match
    mentee_ids: tuple[int, ...]  # participant ids
    user_ids: tuple[int, ...]  # every member, mentor first


def live_pairs(programme: Programme) -> list[Pair]:
    rows = db.session.execute(
        sa.select(Match, MatchMentee.mentee_id)
        .join(MatchMentee, MatchMentee.match_id == Match.id)
        .where(Match.programme_id == programme.id, Match.status.in_(CONFIRMED))
        .order_by(Match.id)
    ).all()
    mentees: dict[int, list[int]] = defaultdict(list)
    matches: dict[int, Match] = {}
    for match, mentee_id in rows:
        matches[match.id] = match
        mentees[match.id].append(mentee_id)
    people = {m.mentor_id for m in matches.values()} | {p for ids in mentees.values() for p in ids}
    user_of = {
        pid: uid
        for pid, uid in db.session.execute(
            sa.select(Participant.id, Participant.user_id).where(Participant.id.in_(people))
        ).all()
    }
    return [
        Pair(
            match,
            tuple(mentees[mid]),
            tuple(user_of[p] for p in (match.mentor_id, *mentees[mid]) if p in user_of),
        )
        for mid, match in matches.items()
    ]


def milestone_due(milestone: Milestone, match: Match) -> date | None:
    """The goals feature's rule (``goals.milestones.due_date``): a fixed date, or days after the
    match started."""
    if milestone.due_on is not None:
        return milestone.due_on
    if milestone.due_offset_days is not None and match.started_at is not None:
        return match.started_at.date() + timedelta(days=milestone.due_offset_days)
    return None


def remind_due(programme: Programme, now: datetime) -> int:
    """Milestones not yet completed by every mentee of a pair, and open goals, near or past due."""
    pairs = live_pairs(programme)
    if not pairs:
        return 0
    today = today_in(programme, now)
    milestones = list(
        db.session.execute(sa.select(Milestone).where(Milestone.programme_id == programme.id)).scalars()
    )
    done = {
        (milestone_id, participant_id)
        for milestone_id, participant_id in db.session.execute(
            sa.select(MilestoneCompletion.milestone_id, MilestoneCompletion.participant_id).where(
                MilestoneCompletion.milestone_id.in_([m.id for m in milestones]),
                MilestoneCompletion.state == CompletionState.COMPLETED,
            )
        ).all()
    }
    goals: dict[int, list[Goal]] = defaultdict(list)
    for goal in db.session.execute(
        sa.select(Goal).where(
            Goal.match_id.in_([p.match.id for p in pairs]),
            Goal.status.in_(OPEN_GOAL),
            Goal.due_on.is_not(None),
        )
    ).scalars():
        goals[goal.match_id].append(goal)
    sent = 0
    for pair in pairs:
        for milestone in milestones:
            due = milestone_due(milestone, pair.match)
            when = phase(due, today) if due else None
            if when and due and any((milestone.id, m) not in done for m in pair.mentee_ids):
                sent += _remind_milestone(programme, pair, milestone, due, when, now)
        for goal in goals[pair.match.id]:
            when = phase(goal.due_on, today) if goal.due_on else None
            if when and goal.due_on:
                sent += _remind_goal(programme, pair, goal, goal.due_on, when, now)
    return sent


def _remind_milestone(
    programme: Programme, pair: Pair, milestone: Milestone, due: date, when: str, now: datetime
) -> int:
    title = milestone.title
    if when == "before":
        subject = lazy(lambda: _("Milestone due soon: %(title)s", title=title))
        text = lazy(
            lambda: _(
                "The milestone \u201c%(title)s\u201d is due on %(date)s. "
                "Mark it done when you have reached it.",
                title=title,
                date=format_date(due, "long"),
            )
        )
    else:
        subject = lazy(lambda: _("Milestone overdue: %(title)s", title=title))
        text = lazy(
            lambda: _(
                "The milestone \u201c%(title)s\u201d was due on %(date)s. Agree on a next step together, or "
                "mark it done if you already reached it.",
                title=title,
                date=format_date(due, "long"),
            )
        )
    label = lazy(lambda: _("Open the milestones"))
    return _to_members(
        programme,
        pair,
        f"milestone.{'due' if when == 'before' else 'overdue'}",
        subject,
        text,
        label,
        f"milestone:{milestone.id}:{pair.match.id}:{due.isoformat()}:{when}",
        now,
    )


def _remind_goal(programme: Programme, pair: Pair, goal: Goal, due: date, when: str, now: datetime) -> int:
    title = goal.title
    if when == "before":
        subject = lazy(lambda: _("Goal due soon: %(title)s", title=title))
        text = lazy(
            lambda: _(
                "Your goal \u201c%(title)s\u201d is due on %(date)s. Write down how far you got.",
                title=title,
                date=format_date(due, "long"),
            )
        )
    else:
        subject = lazy(lambda: _("Goal overdue: %(title)s", title=title))
        text = lazy(
            lambda: _(
                "Your goal \u201c%(title)s\u201d was due on %(date)s. Update it: mark it achieved, give it a "
                "new date, or drop it.",
                title=title,
                date=format_date(due, "long"),
            )
        )
    label = lazy(lambda: _("Update the goal"))
    return _to_members(
        programme,
        pair,
        f"goal.{'due' if when == 'before' else 'overdue'}",
        subject,
        text,
        label,
        f"goal:{goal.id}:{due.isoformat()}:{when}",
        now,
    )


def _to_members(
    programme: Programme,
    pair: Pair,
    kind: str,
    subject: LazyString,
    text: LazyString,
    label: LazyString,
    key: str,
    now: datetime,
) -> int:
    sent = 0
    for user_id in pair.user_ids:
        nudge = send_nudge(
            programme=programme,
            user_id=user_id,
            kind=kind,
            subject=subject,
            text=text,
            action_label=label,
            action_link=f"/goals/matches/{pair.match.id}",
            match_id=pair.match.id,
            dedupe_key=key,
            now=now,
        )
        sent += nudge is not None
    return sent


# -- profiles ------------------------------------------------------------------------------------


def waiting_for_matching(programme: Programme, now: datetime) -> list[Participant]:
    """Active mentors and mentees, there for :data:`PROFILE_GRACE`, not yet in a confirmed match."""
    matched = sa.union(
        sa.select(Match.mentor_id).where(Match.programme_id == programme.id, Match.status.in_(CONFIRMED)),
        sa.select(MatchMentee.mentee_id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Match.programme_id == programme.id, Match.status.in_(CONFIRMED)),
    ).subquery()
    return list(
        db.session.execute(
            sa.select(Participant)
            .where(
                Participant.programme_id == programme.id,
                Participant.role.in_((ParticipantRole.MENTOR, ParticipantRole.MENTEE)),
                Participant.status == ParticipantStatus.ACTIVE,
                Participant.created_at <= now - PROFILE_GRACE,
                Participant.id.not_in(sa.select(matched.c[0])),
            )
            .order_by(Participant.id)
        ).scalars()
    )


def remind_profiles(programme: Programme, now: datetime) -> int:
    """Remind people whose profile misses required answers, once a week, until they are matched."""
    reminded = set(
        db.session.execute(
            sa.select(Nudge.user_id).where(
                Nudge.programme_id == programme.id,
                Nudge.kind == PROFILE_KIND,
                Nudge.sent_at > now - PROFILE_EVERY,
            )
        ).scalars()
    )
    waiting = [p for p in waiting_for_matching(programme, now) if p.user_id not in reminded]
    if not waiting:
        return 0
    asked = {
        role: profiles.questions(programme.id, role)
        for role in (ParticipantRole.MENTOR, ParticipantRole.MENTEE)
    }
    answers = profiles.answers_for([p.id for p in waiting])
    year, week, _day = today_in(programme, now).isocalendar()
    sent = 0
    for participant in waiting:
        status = profiles.status(
            participant, answers=answers.get(participant.id, {}), asked=asked[participant.role]
        )
        if status.complete:
            continue
        missing = len(status.missing)
        nudge = send_nudge(
            programme=programme,
            user_id=participant.user_id,
            kind=PROFILE_KIND,
            subject=lazy(lambda: _("Your profile is not complete yet")),
            text=lazy_ngettext(
                "Matching uses your profile to find the right partner for you. %(num)d required "
                "answer is still missing.",
                "Matching uses your profile to find the right partner for you. %(num)d required "
                "answers are still missing.",
                missing,
            ),
            action_label=lazy(lambda: _("Complete your profile")),
            action_link=f"/programmes/{programme.id}/profile",
            dedupe_key=f"profile:{participant.id}:{year}-W{week:02d}",
            now=now,
        )
        sent += nudge is not None
    return sent
