"""Before and after: did the programme change what its instruments measure, for the same people?

For each survey of the programme with scored items and each of its sub-scales (scored by
:mod:`scoring`), a person is a *pair of answers* when they answered both the baseline occasion and
an outcome occasion (``closing`` or ``programme_end``; by default the later of the two). What is
shown is the paired difference (after - before) with its 95% confidence interval and effect size
(:mod:`statistics`; in words, :mod:`readings`), for everyone, by role and by cohort, and mentors'
change compared with mentees' (Welch) where both answered the same instrument (the two
relationship-quality instruments, one for each side, count as one).

**Cohort** is the month (in the programme's time zone) the person's first match in the programme
started: people join a running programme at different times, and the match is when mentoring
begins for them, so a cohort groups people exposed for a similar time. People never matched form
the cohort "not matched".

**Privacy** (:mod:`privacy`): a group of fewer than ``min_group`` people is hidden; and within a
breakdown (by role, by cohort) groups are hidden until what is hidden counts at least
``min_group`` people, so no hidden group can be worked out from the total and the groups shown.
Anonymous surveys are evaluated like the others: people are paired inside this computation and
only aggregates leave it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from lti_tool.db import db
from lti_tool.mentoring.matching.models import Match, MatchMentee
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.surveys import privacy, scoring
from lti_tool.mentoring.surveys.instruments import catalogue
from lti_tool.mentoring.surveys.models import ItemType, Survey, SurveyAnswer, SurveyItem, SurveyResponse
from lti_tool.mentoring.surveys.statistics import Paired, Welch, paired, welch
from lti_tool.timezones import shown_zone

BEFORE = "baseline"
OUTCOMES = ("closing", "programme_end")
#: Which outcome occasion counts as "after": the later answered, or one of them only.
AFTER_CHOICES = ("latest", *OUTCOMES)
ROLES = ("mentee", "mentor")
NOT_MATCHED = "none"
#: Instruments asked of each side with the same sub-scales: compared as one family.
_SIDE_SUFFIXES = ("_mentee", "_mentor")


@dataclass(frozen=True)
class Group:
    """One row of a table: a group of people and their paired result, unless hidden."""

    kind: str  # "all", "role" or "cohort"
    key: str  # "", "mentee" / "mentor", "2026-03" / "none"
    label: str
    n: int
    result: Paired | None  # None when hidden
    hidden: str | None = None  # "small" (below the minimum) or "complement" (would reveal one)


@dataclass(frozen=True)
class Scale:
    """One sub-scale of one survey: its groups, everyone first."""

    survey_id: int
    survey_title: str
    anonymous: bool
    key: str
    label: str
    points: int  # the top of the scale ("on 5", "on 10")
    groups: list[Group]

    @property
    def overall(self) -> Group:
        return self.groups[0]


@dataclass(frozen=True)
class Comparison:
    """Mentors' change against mentees' on one sub-scale of one instrument (family)."""

    title: str
    label: str
    points: int
    n_mentors: int
    n_mentees: int
    result: Welch | None  # None when hidden
    hidden: str | None = None


@dataclass
class Evaluation:
    programme_id: int
    min_group: int
    after: str
    scales: list[Scale] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)


@dataclass
class _Person:
    """One person's before and after scores on one survey."""

    role: str
    before: dict[str, float | None]
    after: dict[str, float | None]


def evaluate(programme: Programme, after: str = "latest") -> Evaluation:
    """The programme's before/after evaluation, within the privacy rule."""
    if after not in AFTER_CHOICES:
        raise ValueError(f"after must be one of {AFTER_CHOICES}")
    out = Evaluation(programme.id, privacy.min_group(programme), after)
    surveys = _surveys(programme.id)
    people = _pairs(surveys, after)
    cohorts = _cohorts(programme)
    families: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    family_titles: dict[tuple[str, str], tuple[str, str, int]] = {}
    for survey in surveys.values():
        items = scoring.scored_items(survey)
        if not items:
            continue
        points = _points(items)
        for key, label in _subscales(survey, items):
            values = [
                (uid, person.role, b, a)
                for uid, person in people.get(survey.id, {}).items()
                if (b := person.before.get(key)) is not None and (a := person.after.get(key)) is not None
            ]
            out.scales.append(
                Scale(
                    survey.id,
                    _title(survey),
                    survey.anonymous,
                    key,
                    label,
                    points,
                    _groups(values, cohorts, out.min_group),
                )
            )
            family = (_family(survey), key)
            family_titles.setdefault(family, (_family_title(survey), label, points))
            for _uid, role, b, a in values:
                families[family][role].append(a - b)
    out.comparisons = [
        _compare(*family_titles[family], by_role, out.min_group)
        for family, by_role in families.items()
        if all(by_role.get(role) for role in ROLES)
    ]
    return out


# Reading the answers ---------------------------------------------------------------------------


def _surveys(programme_id: int) -> dict[int, Survey]:
    rows = db.session.execute(
        sa.select(Survey)
        .where(Survey.programme_id == programme_id, Survey.archived_at.is_(None))
        .order_by(Survey.id)
    ).scalars()
    return {s.id: s for s in rows}


def _pairs(surveys: dict[int, Survey], after: str) -> dict[int, dict[int, _Person]]:
    """``{survey_id: {user_id: _Person}}`` for people who answered before and after."""
    if not surveys:
        return {}
    outcomes = OUTCOMES if after == "latest" else (after,)
    rows = db.session.execute(
        sa.select(
            SurveyResponse.id,
            SurveyResponse.survey_id,
            SurveyResponse.user_id,
            SurveyResponse.occasion,
            SurveyResponse.participant_role,
            SurveyResponse.submitted_at,
        )
        .where(
            SurveyResponse.survey_id.in_(list(surveys)),
            SurveyResponse.user_id.is_not(None),
            SurveyResponse.occasion.in_([BEFORE, *outcomes]),
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ).all()
    before: dict[tuple[int, int], int] = {}
    latest: dict[tuple[int, int], tuple[int, str]] = {}
    for response_id, survey_id, user_id, occasion, role, _at in rows:
        if user_id is None:
            continue
        if occasion == BEFORE:
            before.setdefault((survey_id, user_id), response_id)  # the first baseline
        else:
            latest[(survey_id, user_id)] = (response_id, role)  # the last outcome
    both = {k: (before[k], *latest[k]) for k in before.keys() & latest.keys()}
    answers = answers_of([r for pair in both.values() for r in pair[:2]])
    scorers = {sid: scorer(s) for sid, s in surveys.items()}
    out: dict[int, dict[int, _Person]] = defaultdict(dict)
    for (survey_id, user_id), (before_id, after_id, role) in both.items():
        score = scorers[survey_id]
        out[survey_id][user_id] = _Person(
            role, score(answers.get(before_id, {})), score(answers.get(after_id, {}))
        )
    return out


def answers_of(response_ids: list[int]) -> dict[int, dict[int, float]]:
    """``{response_id: {item_id: number}}`` for the numeric answers of scored items."""
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for chunk in _chunks(response_ids, 5000):
        rows = db.session.execute(
            sa.select(SurveyAnswer.response_id, SurveyAnswer.item_id, SurveyAnswer.value_num)
            .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
            .where(
                SurveyAnswer.response_id.in_(chunk),
                SurveyAnswer.value_num.is_not(None),
                SurveyItem.subscale.is_not(None),
            )
        )
        for response_id, item_id, value in rows:
            if value is not None:
                out[response_id][item_id] = float(value)
    return out


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def scorer(survey: Survey) -> Callable[[dict[int, float]], dict[str, float | None]]:
    """A function scoring one response's answers on ``survey`` (items and rules read once)."""
    items = scoring.scored_items(survey)
    rules = scoring.rules(survey, items)

    def score(answers: dict[int, float]) -> dict[str, float | None]:
        try:
            return scoring.score_items(items, rules, answers)
        except ValueError:  # an answer off the item's scale (the scale was edited): not scored
            return {}

    return score


def _cohorts(programme: Programme) -> dict[int, str]:
    """``{user_id: "YYYY-MM"}``: the month the person's first match in the programme started."""
    as_mentor = (
        sa.select(Participant.user_id, Match.started_at)
        .join(Match, Match.mentor_id == Participant.id)
        .where(Participant.programme_id == programme.id, Match.started_at.is_not(None))
    )
    as_mentee = (
        sa.select(Participant.user_id, Match.started_at)
        .join(MatchMentee, MatchMentee.mentee_id == Participant.id)
        .join(Match, Match.id == MatchMentee.match_id)
        .where(Participant.programme_id == programme.id, Match.started_at.is_not(None))
    )
    first: dict[int, datetime] = {}
    for user_id, raw in db.session.execute(sa.union_all(as_mentor, as_mentee)):
        if raw is None:
            continue
        started = _aware(raw)
        if user_id not in first or started < first[user_id]:
            first[user_id] = started
    zone = shown_zone(programme.timezone)
    return {uid: started.astimezone(zone).strftime("%Y-%m") for uid, started in first.items()}


def _aware(moment: datetime | str) -> datetime:
    """A union's rows skip the column type on SQLite: make the moment an aware UTC datetime."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# Groups and the privacy rule -------------------------------------------------------------------

_Value = tuple[int, str, float, float]  # user, role, before, after


def _groups(values: list[_Value], cohorts: dict[int, str], minimum: int) -> list[Group]:
    everyone = _group("all", "", _("Everyone"), values, minimum)
    by_role = [
        (role, role_label(role), [v for v in values if v[1] == role])
        for role in ROLES
        if any(v[1] == role for v in values)
    ]
    keys = sorted({cohorts.get(v[0], NOT_MATCHED) for v in values}, key=lambda k: (k == NOT_MATCHED, k))
    by_cohort = [
        (key, cohort_label(key), [v for v in values if cohorts.get(v[0], NOT_MATCHED) == key]) for key in keys
    ]
    return [
        everyone,
        *_breakdown("role", by_role, minimum),
        *_breakdown("cohort", by_cohort, minimum),
    ]


def _group(kind: str, key: str, label: str, values: list[_Value], minimum: int) -> Group:
    if len(values) < minimum:
        return Group(kind, key, label, len(values), None, "small")
    return Group(kind, key, label, len(values), paired([v[2] for v in values], [v[3] for v in values]))


def _breakdown(kind: str, parts: list[tuple[str, str, list[_Value]]], minimum: int) -> list[Group]:
    """The groups of one breakdown, hidden so that no hidden one can be worked out from the total
    and the groups shown: while what is hidden counts fewer than ``minimum`` people (but some),
    the smallest group still shown is hidden too."""
    groups = [_group(kind, key, label, values, minimum) for key, label, values in parts]
    while True:
        hidden = sum(g.n for g in groups if g.hidden)
        shown = [g for g in groups if not g.hidden]
        if hidden == 0 or hidden >= minimum or not shown:
            return groups
        smallest = min(shown, key=lambda g: (g.n, g.key))
        groups = [
            Group(g.kind, g.key, g.label, g.n, None, "complement") if g is smallest else g for g in groups
        ]


def _compare(
    title: str, label: str, points: int, by_role: dict[str, list[float]], minimum: int
) -> Comparison:
    mentors, mentees = by_role["mentor"], by_role["mentee"]
    if len(mentors) < minimum or len(mentees) < minimum or min(len(mentors), len(mentees)) < 2:
        return Comparison(title, label, points, len(mentors), len(mentees), None, "small")
    return Comparison(title, label, points, len(mentors), len(mentees), welch(mentors, mentees))


# Names in words --------------------------------------------------------------------------------


def role_label(role: str) -> str:
    return {"mentee": _("Mentees"), "mentor": _("Mentors")}.get(role, role)


def cohort_label(key: str) -> str:
    """ "2026-03" -> "Matched in March 2026" (in the reader's language)."""
    if key == NOT_MATCHED:
        return _("Not matched")
    year, month = (int(part) for part in key.split("-"))
    return _("Matched in %(month)s", month=format_date(datetime(year, month, 1), "MMMM yyyy"))


def _title(survey: Survey) -> str:
    return catalogue.localised(survey, "title") or survey.title_en or survey.title_it


def _family(survey: Survey) -> str:
    """Surveys whose items and sub-scales are the same instrument for mentors and for mentees."""
    key = survey.instrument_key
    if not key:
        return f"survey:{survey.id}"
    for suffix in _SIDE_SUFFIXES:
        if key.endswith(suffix):
            return "instrument:" + key.removesuffix(suffix)
    return f"survey:{survey.id}"


def _family_title(survey: Survey) -> str:
    if _family(survey).startswith("instrument:"):
        instrument = catalogue.get(survey.instrument_key)
        if instrument is not None:
            return instrument.name.split("(")[0].split(",")[0].strip()
    return _title(survey)


def points_of(survey: Survey) -> int:
    """The top of the survey's scored scale (10 for the 0-10 question)."""
    return _points(scoring.scored_items(survey)) if survey.id else scoring.DEFAULT_POINTS


def _points(items: list[SurveyItem]) -> int:
    if any(item.type is ItemType.NPS for item in items):
        return scoring.NPS_MAX
    return max((int((item.scale or {}).get("points", scoring.DEFAULT_POINTS)) for item in items), default=5)


def _subscales(survey: Survey, items: list[SurveyItem]) -> list[tuple[str, str]]:
    """The survey's sub-scales (and total) in order, with their labels (the instrument's, else
    the key a coordinator gave)."""
    instrument = catalogue.get(survey.instrument_key)
    labels = {s.key: s.label for s in instrument.subscales} if instrument else {}
    if instrument is not None and instrument.total is not None:
        labels[scoring.TOTAL] = instrument.total.label
    return [(rule.key, labels.get(rule.key, rule.key)) for rule in scoring.rules(survey, items)]
