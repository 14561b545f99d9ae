"""The KPI catalogue a coordinator picks from: each figure's key, name, unit, how it is measured
(:mod:`.measures`, :mod:`.survey_measures`) and whether its past values can be computed again
(back-filled trends) or only snapshotted from now on."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from lti_tool.mentoring.kpis import measures, survey_measures
from lti_tool.mentoring.kpis.measures import Measure


class Unit(enum.StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    DAYS = "days"
    RATE = "rate"  # per pair per month
    SCORE = "score"  # 0-100
    NPS = "nps"  # -100 to 100


@dataclass(frozen=True)
class Kpi:
    key: str
    label: Any
    description: Any
    unit: Unit
    measure: Measure
    historical: bool
    survey: bool = False

    @property
    def bounds(self) -> tuple[float, float | None]:
        """The range a target may take (``None``: no upper bound)."""
        if self.unit in (Unit.PERCENT, Unit.SCORE):
            return 0.0, 100.0
        if self.unit is Unit.NPS:
            return -100.0, 100.0
        return 0.0, None


CATALOGUE: tuple[Kpi, ...] = (
    Kpi(
        "participation",
        _l("Participation"),
        _l("Mentors and mentees taking part (not paused or withdrawn), as a share of all of them."),
        Unit.PERCENT,
        measures.participation,
        False,
    ),
    Kpi(
        "profile_completion",
        _l("Profile completion"),
        _l("Mentors and mentees still in the programme who answered every required profile question."),
        Unit.PERCENT,
        measures.profile_completion,
        False,
    ),
    Kpi(
        "time_to_match",
        _l("Time to match"),
        _l("Average days from joining the programme to the start of the first match."),
        Unit.DAYS,
        measures.time_to_match,
        True,
    ),
    Kpi(
        "matched_share",
        _l("Mentees matched"),
        _l("Mentees still in the programme with an approved or started match."),
        Unit.PERCENT,
        measures.matched_share,
        False,
    ),
    Kpi(
        "active_pairs",
        _l("Active pairs"),
        _l("Started pairs with a post, chat message or meeting in the last 30 days."),
        Unit.COUNT,
        measures.active_pairs,
        True,
    ),
    Kpi(
        "meetings_per_pair",
        _l("Meetings per pair per month"),
        _l("Meetings held or confirmed in the last 30 days, per started pair."),
        Unit.RATE,
        measures.meetings_per_pair,
        True,
    ),
    Kpi(
        "milestones_completed",
        _l("Milestones completed"),
        _l("Milestone completions confirmed so far."),
        Unit.COUNT,
        measures.milestones_completed,
        True,
    ),
    Kpi(
        "goals_completed",
        _l("Goals achieved"),
        _l("The pairs' goals marked achieved, as a share of all their goals."),
        Unit.PERCENT,
        measures.goals_completed,
        False,
    ),
    Kpi(
        "programme_completion",
        _l("Programme completion"),
        _l("Started pairs that ended having run their course."),
        Unit.PERCENT,
        measures.programme_completion,
        True,
    ),
    Kpi(
        "survey_response_rate",
        _l("Survey response rate"),
        _l("Survey invitations answered, of those opened so far."),
        Unit.PERCENT,
        survey_measures.response_rate,
        True,
        survey=True,
    ),
    Kpi(
        "survey_score",
        _l("Survey score"),
        _l("Mean of the rating answers, on a scale from 0 to 100."),
        Unit.SCORE,
        survey_measures.survey_score,
        True,
        survey=True,
    ),
    Kpi(
        "nps",
        _l("Net Promoter Score"),
        _l("Share answering 9 or 10 minus share answering 0 to 6, on the 0-10 recommendation questions."),
        Unit.NPS,
        survey_measures.nps,
        True,
        survey=True,
    ),
)
BY_KEY = {kpi.key: kpi for kpi in CATALOGUE}


def values(
    programme_id: int, at: datetime, keys: list[str] | None = None, *, live: bool = False
) -> dict[str, float | None]:
    """The figures ``keys`` (default: all) as of ``at``; score and NPS share one reading of answers.
    ``live`` (the dashboard, ``at`` is now): the survey figures come through their cache
    (:func:`.survey_measures.live`)."""
    wanted = [BY_KEY[k] for k in (keys if keys is not None else list(BY_KEY))]
    found: dict[str, float | None] = {}
    if live and any(k.survey for k in wanted):
        found |= survey_measures.live(programme_id, at)
    elif any(k.key in ("survey_score", "nps") for k in wanted):
        rated = survey_measures.ratings(programme_id, at)
        found |= {"survey_score": rated.score, "nps": rated.nps}
    for kpi in wanted:
        if kpi.key not in found:
            found[kpi.key] = kpi.measure(programme_id, at)
    return {kpi.key: found[kpi.key] for kpi in wanted}
