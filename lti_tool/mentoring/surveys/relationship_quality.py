"""Low relationship quality, seen in time to help: a live pair whose member's latest answers to a
relationship-quality instrument score below :data:`THRESHOLD` joins the coordinators' attention
list (source ``low_relationship_quality``) and counts in the pair's health (a rhythm signal).

Only surveys that are **not anonymous** take part: in an anonymous survey, a pair flagged after it
answered would tell the coordinator who gave the low score. Respondents of a survey that does take
part are told so on the answering page (:func:`notice`), and coordinators on the evaluation page.
The members themselves never see it in their pair's hints (it may come from their partner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.attention.registry import Action, Item, register_source
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.matching.statuses import CONFIRMED
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.rhythm.health import Reason, register_signal
from lti_tool.mentoring.surveys import evaluation, scoring
from lti_tool.mentoring.surveys.models import Survey, SurveyResponse
from lti_tool.mentoring.surveys.readings import number

NAME = "low_relationship_quality"
SIGNAL = "relationship_quality"
#: Below this score on a 5-point scale (scaled to other scales) a pair needs a look.
THRESHOLD = 2.5
#: Below this one it is serious enough to make the pair "quiet" on its own.
SERIOUS = 2.0
#: The instruments that measure the relationship (one per side).
INSTRUMENTS = ("relationship_quality_mentee", "relationship_quality_mentor")
#: The score that counts: the instrument's total, else its relationship sub-scale.
SCORE_KEYS = (scoring.TOTAL, "quality")


@dataclass(frozen=True)
class LowScore:
    match_id: int
    user_id: int
    role: str
    score: float
    points: int
    submitted_at: datetime


def takes_part(survey: Survey) -> bool:
    """Whether low answers to ``survey`` reach the coordinators (never for an anonymous survey)."""
    return survey.instrument_key in INSTRUMENTS and not survey.anonymous


def notice(survey: Survey) -> str | None:
    """What respondents of ``survey`` are told on its answering page, when low answers are shared."""
    if not takes_part(survey):
        return None
    return _(
        "If your answers show that the relationship is not going well, your programme's coordinators "
        "will see that your pair may need support, so they can help. They see the score, not your "
        "individual answers."
    )


def threshold(points: int, on_five: float = THRESHOLD) -> float:
    """``on_five`` on a 5-point scale, at the same place of a ``points``-point one."""
    return 1 + (points - 1) * (on_five - 1) / 4


def low_scores(programme_id: int) -> list[LowScore]:
    """Each live pair member whose latest answers to a taking-part survey score below the threshold."""
    surveys = {
        s.id: s
        for s in db.session.execute(
            sa.select(Survey).where(
                Survey.programme_id == programme_id,
                Survey.archived_at.is_(None),
                Survey.anonymous.is_(False),
                Survey.instrument_key.in_(INSTRUMENTS),
            )
        ).scalars()
    }
    if not surveys:
        return []
    rows = db.session.execute(
        sa.select(
            SurveyResponse.id,
            SurveyResponse.survey_id,
            SurveyResponse.match_id,
            SurveyResponse.user_id,
            SurveyResponse.participant_role,
            SurveyResponse.submitted_at,
        )
        .join(Match, Match.id == SurveyResponse.match_id)
        .where(
            SurveyResponse.survey_id.in_(list(surveys)),
            SurveyResponse.user_id.is_not(None),
            Match.status.in_(list(CONFIRMED)),
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ).all()
    latest: dict[tuple[int, int], Any] = {}
    for row in rows:
        latest[(row.match_id, row.user_id)] = row  # the last answer of each member of each pair
    answers = evaluation.answers_of([row.id for row in latest.values()])
    scorers = {sid: evaluation.scorer(s) for sid, s in surveys.items()}
    points = {sid: evaluation.points_of(s) for sid, s in surveys.items()}
    out = []
    for (match_id, user_id), row in latest.items():
        scores = scorers[row.survey_id](answers.get(row.id, {}))
        value = next((v for key in SCORE_KEYS if (v := scores.get(key)) is not None), None)
        top = points[row.survey_id]
        if value is not None and value < threshold(top):
            out.append(LowScore(match_id, user_id, row.participant_role, value, top, row.submitted_at))
    return out


# The pair's health -----------------------------------------------------------------------------


def signal_reasons(programme_id: int, now: datetime) -> dict[int, list[Reason]]:
    out: dict[int, list[Reason]] = {}
    for low in low_scores(programme_id):
        severity = 2 if low.score < threshold(low.points, SERIOUS) else 1
        params = {"role": low.role, "score": round(low.score, 1), "points": low.points}
        out.setdefault(low.match_id, []).append(Reason(SIGNAL, severity, params))
    return out


def reason_text(params: dict[str, Any]) -> str:
    values = {"score": number(params["score"], 1), "points": params["points"]}
    if params.get("role") == "mentor":
        return _("The mentor's latest relationship-quality answers score %(score)s on %(points)d.", **values)
    return _("The mentee's latest relationship-quality answers score %(score)s on %(points)d.", **values)


# The attention list ----------------------------------------------------------------------------


def items(programme: Programme, now: datetime) -> list[Item]:
    by_match: dict[int, list[LowScore]] = {}
    for low in low_scores(programme.id):
        by_match.setdefault(low.match_id, []).append(low)
    names = _names(list(by_match))
    return [
        Item(
            source=NAME,
            key=f"match:{match_id}",
            title=_("Low relationship quality: %(names)s", names=names.get(match_id, "")),
            reason=" ".join(
                reason_text({"role": low.role, "score": low.score, "points": low.points}) for low in lows
            ),
            since=min(low.submitted_at for low in lows),
            severity=1,
            actions=(
                Action("message", _("Message the pair"), url=f"/matches/{match_id}/space"),
                Action("rhythm", _("See the pair's rhythm"), url=f"/matches/{match_id}/rhythm"),
            ),
            link=f"/matches/{match_id}/rhythm",
            match_id=match_id,
        )
        for match_id, lows in sorted(by_match.items())
    ]


def _names(match_ids: list[int]) -> dict[int, str]:
    """ "Mentor, Mentee" for each pair: two queries."""
    if not match_ids:
        return {}
    people: dict[int, list[str]] = {m: [] for m in match_ids}
    mentors = (
        sa.select(Match.id, User.name)
        .join(Participant, Participant.id == Match.mentor_id)
        .join(User, User.id == Participant.user_id)
        .where(Match.id.in_(match_ids))
    )
    mentees = (
        sa.select(MatchMentee.match_id, User.name)
        .join(Participant, Participant.id == MatchMentee.mentee_id)
        .join(User, User.id == Participant.user_id)
        .where(MatchMentee.match_id.in_(match_ids))
        .order_by(MatchMentee.mentee_id)
    )
    for query in (mentors, mentees):
        for match_id, name in db.session.execute(query):
            people[match_id].append(name or "?")
    return {m: ", ".join(n) for m, n in people.items()}


def register() -> None:
    register_source(NAME, items, None, label=_l("Low relationship quality"))
    register_signal(SIGNAL, signal_reasons, reason_text)
