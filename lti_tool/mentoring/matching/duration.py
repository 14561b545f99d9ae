"""A match's planned length and its mid-point check-in.

A match is planned to last until its own planned end (a coordinator sets or extends it) or else
until the programme's end date; without either it has no planned length and no mid-point. At half
the planned length both members are invited, once, to a short check-in ("how is it going, in a few
words"), which the pair and the coordinators read. Dates are days in the programme's time zone; a
planned end day lasts until its midnight there.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import CursorResult

from lti_tool import audit, timezones
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, InvalidInput
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.access import MatchAccess
from lti_tool.mentoring.matching.lifecycle import programme_today, user_ids
from lti_tool.mentoring.matching.models import Feeling, Match, MatchReflection, MatchStatus, ReflectionKind
from lti_tool.mentoring.matching.reflections import write
from lti_tool.mentoring.matching.statuses import CONFIRMED, HOLDING_PLACES
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.notifications.service import notify


def planned_end(programme: Programme, match: Match) -> date | None:
    """The last day the match is planned to run: its own, or the programme's end date."""
    return match.planned_end_on or programme.ends_on


def end_of_day(programme: Programme, day: date) -> datetime:
    """The UTC moment a day of the programme is over (its next midnight in the programme's zone)."""
    return timezones.wall_clock_to_utc(
        datetime.combine(day + timedelta(days=1), time()), programme.timezone or "UTC"
    )


def midpoint(programme: Programme, match: Match) -> datetime | None:
    """Half-way between the match's start and its planned end; None without both."""
    day = planned_end(programme, match)
    if match.started_at is None or day is None:
        return None
    end = end_of_day(programme, day)
    if end <= match.started_at:
        return None
    return match.started_at + (end - match.started_at) / 2


def set_planned_end(ctx: LaunchContext, programme: Programme, match: Match, day: date | None) -> Match:
    """A coordinator sets or extends a match's planned end (None: follow the programme's dates)."""
    if match.status not in HOLDING_PLACES:
        raise Conflict(_("This match has already ended."))
    if day is not None and day < programme_today(programme):
        raise InvalidInput(errors={"planned_end_on": [_("Choose today or a later day.")]})
    if day is not None and programme.ends_on is not None and day > programme.ends_on:
        raise InvalidInput(
            errors={
                "planned_end_on": [
                    _(
                        "The programme ends on %(d)s; a match cannot be planned past it.",
                        d=format_date(programme.ends_on, "long"),
                    )
                ]
            }
        )
    before = match.planned_end_on
    match.planned_end_on = day
    match.planned_end_sent_at = None  # a moved end is announced again when it comes
    audit.record(
        "match.planned_end_set",
        "match",
        match.id,
        actor_user_id=ctx.user_id,
        before=before.isoformat() if before else None,
        after=day.isoformat() if day else None,
    )
    end = planned_end(programme, match)
    if end is not None and match.status in CONFIRMED:
        for user_id in user_ids(match):
            notify(
                user_id,
                "match.planned_end",
                _l("Your match in %(p)s: the planned end", p=programme.title),
                _l("Your coordinator set the planned end of your match to %(d)s.", d=timezones.day_text(end)),
                link=closing_link(programme, match),
            )
    db.session.commit()
    return match


def closing_link(programme: Programme, match: Match) -> str:
    return f"/programmes/{programme.id}/matches/{match.id}/closing"


def checkin_link(programme: Programme, match: Match) -> str:
    return f"/programmes/{programme.id}/matches/{match.id}/check-in"


def send_midpoints(programme: Programme, now: datetime | None = None) -> int:
    """Invite the pairs past their mid-point to check in; once per match, however often it runs.

    The caller commits. Returns how many matches were invited.
    """
    now = now or utcnow()
    active = db.session.execute(
        sa.select(Match).where(
            Match.programme_id == programme.id,
            Match.status == MatchStatus.ACTIVE,
            Match.midpoint_sent_at.is_(None),
            Match.started_at.is_not(None),
        )
    ).scalars()
    sent = 0
    for match in list(active):
        half = midpoint(programme, match)
        if half is None or half > now:
            continue
        claimed = db.session.execute(  # a claim, so two sweeps never both send
            sa.update(Match)
            .where(Match.id == match.id, Match.midpoint_sent_at.is_(None))
            .values(midpoint_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(claimed, CursorResult)
        if not claimed.rowcount:
            continue
        audit.record("match.checkin_sent", "match", match.id)
        for user_id in user_ids(match):
            notify(
                user_id,
                "match.checkin",
                _l("Half-way through your match in %(p)s", p=programme.title),
                _l(
                    "You are half-way through the time planned for your match. How is it going? "
                    "Tell your partner and your coordinator in a few words."
                ),
                link=checkin_link(programme, match),
            )
        sent += 1
    return sent


def send_planned_ends(programme: Programme, now: datetime | None = None) -> int:
    """Invite the pairs whose own planned end has passed to close their match; once per planned end.

    A match planned to the programme's last day is left to the programme's end (notice, then
    closing). The caller commits. Returns how many matches were invited.
    """
    now = now or utcnow()
    due = db.session.execute(
        sa.select(Match).where(
            Match.programme_id == programme.id,
            Match.status == MatchStatus.ACTIVE,
            Match.planned_end_on.is_not(None),
            Match.planned_end_sent_at.is_(None),
        )
    ).scalars()
    sent = 0
    for match in list(due):
        assert match.planned_end_on is not None
        if programme.ends_on is not None and match.planned_end_on >= programme.ends_on:
            continue
        if end_of_day(programme, match.planned_end_on) > now:
            continue
        claimed = db.session.execute(
            sa.update(Match)
            .where(Match.id == match.id, Match.planned_end_sent_at.is_(None))
            .values(planned_end_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(claimed, CursorResult)
        if not claimed.rowcount:
            continue
        audit.record("match.planned_end_reached", "match", match.id, on=match.planned_end_on.isoformat())
        for user_id in user_ids(match):
            notify(
                user_id,
                "match.planned_end_reached",
                _l("Your match in %(p)s reached its planned end", p=programme.title),
                _l(
                    "The time planned for your match is over. Propose closing it and write a few "
                    "words about what you take away, or ask your coordinator for more time."
                ),
                link=closing_link(programme, match),
                match_id=match.id,
            )
        sent += 1
    return sent


def check_in(access: MatchAccess, feeling: Feeling, text: str) -> MatchReflection:
    """A member says how the match is going (a word and a few words of their own)."""
    if access.match.status not in CONFIRMED:
        raise Conflict(_("This match has ended; there is nothing to check in on."))
    row = write(access, ReflectionKind.MIDPOINT, text, feeling)
    db.session.commit()
    return row


def summary(programme: Programme, match: Match) -> dict[str, Any]:
    """The planned length as members and coordinators read it."""
    end = planned_end(programme, match)
    half = midpoint(programme, match)
    return {
        "planned_end_on": end,
        "planned_end_source": "match" if match.planned_end_on else ("programme" if end else None),
        "midpoint_at": half,
        "midpoint_sent_at": match.midpoint_sent_at,
    }
