"""Invitations: one person asked to answer one survey on one occasion, within a window.

Every scheduled occasion ends here. :func:`invite` writes the ``SurveyInvitation`` row once per
``(survey, person, occasion)`` (the unique constraint holds when two workers race) and tells the
person, in the app and by e-mail, with a link to the answering page; the e-mail's link signs them
in to the programme's course, so it opens outside the LMS too. Only active mentors and mentees of
the survey's audience are invited; coordinators never are.

Occasions are short strings, stable because they are half of the uniqueness: ``baseline``,
``pulse:<match>:<n>``, ``meeting:<meeting>``, ``closing``, ``programme_end``. :func:`occasion_kind`
gives the part before the first colon, for grouping (before/after compares ``baseline`` with
``closing`` or ``programme_end``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import IntegrityError

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme
from lti_tool.mentoring.surveys.models import Audience, Survey, SurveyInvitation, SurveyResponse
from lti_tool.mentoring.surveys.schedules import Schedule
from lti_tool.mentoring.surveys.texts import local
from lti_tool.notifications.service import notify

BASELINE = "baseline"
CLOSING = "closing"
PROGRAMME_END = "programme_end"
INVITED_KIND = "survey.invited"
#: Kinds of occasion in the order of a programme (``manual``: sent by hand, by the surveys pages).
OCCASION_KINDS = ("baseline", "pulse", "meeting", "closing", "programme_end", "manual")

ROLES_OF: dict[Audience, tuple[ParticipantRole, ...]] = {
    Audience.MENTORS: (ParticipantRole.MENTOR,),
    Audience.MENTEES: (ParticipantRole.MENTEE,),
    Audience.EVERYONE: (ParticipantRole.MENTOR, ParticipantRole.MENTEE),
}


def pulse_occasion(match_id: int, number: int) -> str:
    return f"pulse:{match_id}:{number}"


def meeting_occasion(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def occasion_kind(occasion: str) -> str:
    """``"pulse:4:2"`` -> ``"pulse"``: the occasion without the match or meeting it is about."""
    return occasion.split(":", 1)[0]


def answer_path(invitation: SurveyInvitation) -> str:
    """The answering page for this invitation (surveys' own page, which reads ``?invitation=``)."""
    return f"/surveys/{invitation.survey_id}/answer?invitation={invitation.id}"


def survey_title(survey: Survey) -> str:
    """The survey's title in the language being written (the other one when that one is empty)."""
    return local(survey, "title")


def in_audience(survey: Survey, participant: Participant) -> bool:
    return participant.status is ParticipantStatus.ACTIVE and participant.role in ROLES_OF[survey.audience]


def audience(survey: Survey) -> list[Participant]:
    """The programme's active participants the survey is for."""
    return list(
        db.session.execute(
            sa.select(Participant)
            .where(
                Participant.programme_id == survey.programme_id,
                Participant.status == ParticipantStatus.ACTIVE,
                Participant.role.in_(ROLES_OF[survey.audience]),
            )
            .order_by(Participant.id)
        ).scalars()
    )


def invited_users(survey_id: int, occasion: str) -> set[int]:
    return set(
        db.session.execute(
            sa.select(SurveyInvitation.user_id).where(
                SurveyInvitation.survey_id == survey_id, SurveyInvitation.occasion == occasion
            )
        ).scalars()
    )


def opened_since(survey_id: int, since: datetime) -> set[tuple[int, str]]:
    """(user, occasion) of the survey's invitations opened since ``since``: one read for a whole
    periodic run, since only occasions whose window is still open can be invited to."""
    return {
        (int(user_id), str(occasion))
        for user_id, occasion in db.session.execute(
            sa.select(SurveyInvitation.user_id, SurveyInvitation.occasion).where(
                SurveyInvitation.survey_id == survey_id, SurveyInvitation.opens_at >= since
            )
        ).all()
    }


def invite(
    programme: Programme,
    survey: Survey,
    participant: Participant,
    occasion: str,
    opens_at: datetime,
    *,
    match_id: int | None = None,
    now: datetime,
) -> SurveyInvitation | None:
    """Invite one person, once; None when they are not in the audience, were invited already, or
    the window has closed by ``now``. Joins the caller's transaction."""
    if not in_audience(survey, participant):
        return None
    schedule = Schedule.of(survey)
    closes_at = opens_at + schedule.window
    if closes_at <= now:
        return None
    invitation = SurveyInvitation(
        survey_id=survey.id,
        user_id=participant.user_id,
        participant_id=participant.id,
        match_id=match_id,
        occasion=occasion,
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    except IntegrityError:
        return None  # invited already (by an earlier run, or another worker a moment ago)
    _tell(programme, survey, invitation, schedule)
    return invitation


def invite_many(
    programme: Programme,
    survey: Survey,
    people: Iterable[Participant],
    occasion: str,
    opens_at: datetime,
    *,
    match_id: int | None = None,
    now: datetime,
    done: set[tuple[int, str]] | None = None,
) -> int:
    """:func:`invite` each person not yet invited to ``occasion``; returns how many were.
    ``done``: the (user, occasion) pairs already invited, when the caller read them for many calls."""
    if done is None:
        done = {(user_id, occasion) for user_id in invited_users(survey.id, occasion)}
    count = 0
    for person in people:
        if (person.user_id, occasion) in done:
            continue
        if invite(programme, survey, person, occasion, opens_at, match_id=match_id, now=now) is not None:
            count += 1
    return count


def _tell(programme: Programme, survey: Survey, invitation: SurveyInvitation, schedule: Schedule) -> None:
    days = schedule.window_days
    title_of = survey_title

    def subject() -> str:
        return _("A short survey: %(title)s", title=title_of(survey))

    def text() -> str:
        window = lazy_ngettext("You can answer for %(num)d day.", "You can answer for %(num)d days.", days)
        return _(
            "%(programme)s asks you to answer \u201c%(title)s\u201d. It takes a few minutes. %(window)s",
            programme=programme.title,
            title=title_of(survey),
            window=str(window),
        )

    notify(
        invitation.user_id,
        INVITED_KIND,
        LazyString(subject),
        LazyString(text),
        link=answer_path(invitation),
        match_id=invitation.match_id,
        course_id=programme.course_id,
    )


def summary(survey_id: int) -> list[dict[str, Any]]:
    """Per kind of occasion: how many were invited, reminded and answered (counts only: who
    answered is not shown, anonymous survey or not)."""
    rows = db.session.execute(
        sa.select(
            SurveyInvitation.occasion,
            sa.func.count(SurveyInvitation.id),
            sa.func.count(SurveyInvitation.reminded_at),
            sa.func.count(SurveyResponse.id),
        )
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(SurveyInvitation.survey_id == survey_id)
        .group_by(SurveyInvitation.occasion)
    ).all()
    kinds: dict[str, dict[str, Any]] = {}
    for occasion, invited, reminded, answered in rows:
        kind = kinds.setdefault(
            occasion_kind(occasion),
            {"kind": occasion_kind(occasion), "invited": 0, "reminded": 0, "answered": 0},
        )
        kind["invited"] += invited
        kind["reminded"] += reminded
        kind["answered"] += answered
    return [kinds[k] for k in OCCASION_KINDS if k in kinds]
