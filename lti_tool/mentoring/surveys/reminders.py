"""One reminder per unanswered invitation, a few days before its window closes.

A reminder is a nudge (``nudges.service.send_nudge``, kind ``survey.reminder``, deduped per
invitation): it counts towards the weekly limit every reminder shares, so a person already nudged
twice this week is not reminded now; the next run tries again while the window is open, and
``reminded_at`` records the one that went. Reminders stay out of the match's history: whether a
person has answered is nobody's business but theirs.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from lti_tool.db import db
from lti_tool.mentoring.nudges.service import send_nudge
from lti_tool.mentoring.programmes.models import Participant, ParticipantStatus, Programme
from lti_tool.mentoring.surveys.invitations import answer_path, survey_title
from lti_tool.mentoring.surveys.models import Survey, SurveyInvitation, SurveyResponse
from lti_tool.mentoring.surveys.schedules import Schedule

KIND = "survey.reminder"


def dedupe_key(invitation: SurveyInvitation) -> str:
    return f"{KIND}:{invitation.id}"


def due(now: datetime) -> list[tuple[SurveyInvitation, Survey, Programme]]:
    """Open, unanswered, not yet reminded invitations of active people to surveys still in use."""
    rows = db.session.execute(
        sa.select(SurveyInvitation, Survey, Programme)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .join(Programme, Programme.id == Survey.programme_id)
        .outerjoin(Participant, Participant.id == SurveyInvitation.participant_id)
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(
            SurveyInvitation.reminded_at.is_(None),
            SurveyInvitation.opens_at <= now,
            SurveyInvitation.closes_at > now,
            SurveyResponse.id.is_(None),
            Survey.archived_at.is_(None),
            sa.or_(Participant.id.is_(None), Participant.status == ParticipantStatus.ACTIVE),
        )
        .order_by(SurveyInvitation.closes_at, SurveyInvitation.id)
    ).all()
    return [(inv, survey, programme) for inv, survey, programme in rows]


def remind(now: datetime) -> int:
    """Send the reminders due by ``now``; returns how many went. The caller commits."""
    sent = 0
    for invitation, survey, programme in due(now):
        if now < Schedule.of(survey).remind_from(invitation.closes_at):
            continue
        if _send(programme, survey, invitation, now):
            invitation.reminded_at = now
            sent += 1
    return sent


def _send(programme: Programme, survey: Survey, invitation: SurveyInvitation, now: datetime) -> bool:
    closes_at = invitation.closes_at

    def subject() -> str:
        return _("Reminder: %(title)s", title=survey_title(survey))

    def text() -> str:
        days = max(1, round((closes_at - now).total_seconds() / 86400))
        return ngettext(
            "You have not answered \u201c%(title)s\u201d yet. It closes in %(num)d day; your answers "
            "help the programme.",
            "You have not answered \u201c%(title)s\u201d yet. It closes in %(num)d days; your answers "
            "help the programme.",
            days,
            title=survey_title(survey),
        )

    nudge = send_nudge(
        programme=programme,
        user_id=invitation.user_id,
        kind=KIND,
        subject=LazyString(subject),
        text=LazyString(text),
        action_label=LazyString(lambda: _("Answer the survey")),
        action_link=answer_path(invitation),
        # Not about the match: a nudge with a match shows in the pair's history, and a partner
        # must not learn who is still to answer (a relationship survey is about them).
        match_id=None,
        dedupe_key=dedupe_key(invitation),
        now=now,
    )
    return nudge is not None
