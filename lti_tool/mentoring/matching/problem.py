"""From a programme's questions and answers to the engine's problem, and from scores to words.

The engine (``engine.py``, ``scoring.py``) is pure numpy: it knows columns and criteria, not
questions. This module is the translation in both directions: answers become columns; per-pair
criterion scores become sentences a mentee, a mentor and a coordinator can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lti_tool.db import utcnow
from lti_tool.i18n import said, say, say_plural
from lti_tool.mentoring.matching.criteria import criteria_for
from lti_tool.mentoring.matching.engine import MatchingProblem, Mode
from lti_tool.mentoring.matching.scoring import (
    WEEK_HOURS,
    Criterion,
    Model,
    Participants,
    criterion_scores,
    passes,
    raw_measure,
    tag_matrix,
)
from lti_tool.mentoring.profiles.models import Question, QuestionKind


def _offset_minutes(name: Any, at: datetime) -> float:
    try:
        offset = at.astimezone(ZoneInfo(str(name))).utcoffset()
    except (KeyError, ValueError):
        return float("nan")
    return offset.total_seconds() / 60 if offset is not None else float("nan")


def _vocabulary(question: Question, rows: Sequence[dict[int, Any]]) -> list[str]:
    if question.options:
        return list(question.options)
    seen: dict[str, None] = {}
    for answers in rows:
        for v in answers.get(question.id) or []:
            seen.setdefault(v, None)
    return list(seen)


def columns(question: Question, rows: Sequence[dict[int, Any]], vocab: list[str], at: datetime) -> Any:
    """One side's column for ``question`` from answers by question id (one dict per person)."""
    qid, kind = question.id, question.kind
    if kind in (QuestionKind.TAGS, QuestionKind.MULTI_CHOICE, QuestionKind.LANGUAGES):
        index = {v: i for i, v in enumerate(vocab)}
        return tag_matrix(
            [[index[v] for v in (r.get(qid) or []) if v in index] for r in rows], max(len(vocab), 1)
        )
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.DEPARTMENT):
        codes = {v: i for i, v in enumerate(vocab)}
        return np.array([codes.get(str(r.get(qid)), -1) for r in rows], np.int32)
    if kind is QuestionKind.LEVEL:
        ranks = {v: float(i) for i, v in enumerate(vocab)}
        return np.array([ranks.get(str(r.get(qid)), np.nan) for r in rows], np.float32)
    if kind is QuestionKind.SCALE:
        return np.array([float(r[qid]) if r.get(qid) is not None else np.nan for r in rows], np.float32)
    if kind is QuestionKind.TIMEZONE:
        cache: dict[Any, float] = {}
        out = np.empty(len(rows), np.float32)
        for n, r in enumerate(rows):
            name = r.get(qid)
            if name not in cache:
                cache[name] = _offset_minutes(name, at) if name else float("nan")
            out[n] = cache[name]
        return out
    grid = np.zeros((len(rows), WEEK_HOURS), bool)
    for n, r in enumerate(rows):
        for day, hour in r.get(qid) or []:
            grid[n, day * 24 + hour] = True
    return grid


@dataclass
class Built:
    """An engine problem plus what is needed to turn indices back into people and words."""

    problem: MatchingProblem
    mentee_ids: list[int]
    mentor_ids: list[int]
    criteria: list[tuple[Question, Criterion]]
    vocabularies: dict[int, list[str]]
    mentee_answers: list[dict[int, Any]]
    mentor_answers: list[dict[int, Any]]
    _model: Model | None = field(default=None, repr=False)

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = self.problem.model()
        return self._model


def build(
    questions: Sequence[Question],
    mentees: Sequence[tuple[int, dict[int, Any], str | None]],
    mentors: Sequence[tuple[int, dict[int, Any], str | None, int]],
    *,
    capacity: int,
    group: bool,
    locked: Sequence[tuple[int, int]] = (),
    forbidden: Sequence[tuple[int, int]] = (),
    at: datetime | None = None,
) -> Built:
    """Assemble the engine's problem.

    :param mentees: ``(participant id, answers, blocked reason)``.
    :param mentors: ``(participant id, answers, blocked reason, capacity or -1)``.
    :param locked: ``(mentee id, mentor id)`` participant pairs kept as they are.
    :param forbidden: pairs never to propose (ended by a rematch, removed by a coordinator).
    """
    at = at or utcnow()
    criteria = criteria_for(questions)
    mentee_rows = [m[1] for m in mentees]
    mentor_rows = [m[1] for m in mentors]
    vocabularies = {q.id: _vocabulary(q, [*mentee_rows, *mentor_rows]) for q, _c in criteria}
    cols_a = {c.key: columns(q, mentee_rows, vocabularies[q.id], at) for q, c in criteria}
    cols_b = {c.key: columns(q, mentor_rows, vocabularies[q.id], at) for q, c in criteria}
    mentee_ids = [m[0] for m in mentees]
    mentor_ids = [m[0] for m in mentors]
    a_index = {pid: i for i, pid in enumerate(mentee_ids)}
    b_index = {pid: j for j, pid in enumerate(mentor_ids)}

    def pairs(items: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(a_index[a], b_index[b]) for a, b in items if a in a_index and b in b_index]

    problem = MatchingProblem(
        mentees=Participants(len(mentees), cols_a, blocked=[m[2] for m in mentees]),
        mentors=Participants(
            len(mentors),
            cols_b,
            blocked=[m[2] for m in mentors],
            capacity=np.array([m[3] for m in mentors], np.int64),
        ),
        criteria=[c for _q, c in criteria],
        capacity=capacity,
        mode=Mode.GROUP if group else Mode.ONE_TO_ONE,
        locked_pairs=pairs(locked),
        forbidden_pairs=pairs(forbidden),
    )
    return Built(problem, mentee_ids, mentor_ids, criteria, vocabularies, mentee_rows, mentor_rows)


# -- explanations --------------------------------------------------------------------------------


def explain_pairs(built: Built, i: Sequence[int], j: Sequence[int]) -> list[dict[str, Any]]:
    """Per-criterion explanation of pairs ``(i[k], j[k])`` (engine indices), in plain words."""
    if not len(i):
        return []
    ii = np.asarray(i, np.int64)
    jj = np.asarray(j, np.int64)
    model = built.model
    total_weight = model.total_weight or 1.0
    per_criterion = []
    for q, c in built.criteria:
        measure, score = criterion_scores(c, model.mentees, model.mentors, ii, jj)
        ok = passes(c, raw_measure(c, model.mentees, model.mentors, ii, jj))
        per_criterion.append((q, c, measure, score, ok))
    out = []
    for k in range(len(ii)):
        a = built.mentee_answers[int(ii[k])]
        b = built.mentor_answers[int(jj[k])]
        items: list[dict[str, Any]] = []
        total = 0.0
        for q, c, measure, score, ok in per_criterion:
            s = float(score[k])
            contribution = c.weight / total_weight * s
            total += contribution
            items.append(
                {
                    "key": q.key,
                    "label": q.label,
                    "weight": c.weight,
                    "share": round(c.weight / total_weight, 4),
                    "score": round(s, 4),
                    "points": round(contribution, 4),
                    "constraint": q.constraint.value if q.constraint else None,
                    "constraint_met": bool(ok[k]),
                    "say": (sentence := describe(q, a.get(q.id), b.get(q.id), float(measure[k]))),
                    "text": said(sentence),
                }
            )
        items.sort(key=lambda item: -item["points"])
        out.append({"score": round(total, 4), "criteria": items})
    return out


def describe(q: Question, mentee_value: Any, mentor_value: Any, measure: float) -> dict[str, Any]:
    """One sentence (``i18n.say``) on how a mentee's and a mentor's answers to ``q`` compare: stored
    with the proposal, and read by each person in their language."""
    if mentee_value in (None, [], "") or mentor_value in (None, [], ""):
        return say("%(q)s: not answered by both, so it does not count.", q=q.label)
    kind = q.kind
    if kind is QuestionKind.TAGS:
        shared = [v for v in mentee_value if v in set(mentor_value)]
        if not shared:
            return say(
                "%(q)s: the mentor offers none of the %(n)d the mentee wants.", q=q.label, n=len(mentee_value)
            )
        return say(
            "%(q)s: the mentor offers %(k)d of the %(n)d the mentee wants (%(items)s).",
            q=q.label,
            k=len(shared),
            n=len(mentee_value),
            items=", ".join(shared),
        )
    if kind in (QuestionKind.MULTI_CHOICE, QuestionKind.LANGUAGES):
        shared = [v for v in mentee_value if v in set(mentor_value)]
        if not shared:
            return say("%(q)s: nothing in common.", q=q.label)
        return say("%(q)s: both chose %(items)s.", q=q.label, items=", ".join(shared))
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.DEPARTMENT):
        if mentee_value == mentor_value:
            return say("%(q)s: both %(v)s.", q=q.label, v=mentee_value)
        return say("%(q)s: %(a)s (mentee) and %(b)s (mentor).", q=q.label, a=mentee_value, b=mentor_value)
    if kind is QuestionKind.LEVEL:
        steps = round(measure)
        if steps > 0:
            return say_plural(
                "%(q)s: the mentor is %(num)d level above the mentee.",
                "%(q)s: the mentor is %(num)d levels above the mentee.",
                steps,
                q=q.label,
            )
        if steps == 0:
            return say("%(q)s: both at the same level (%(v)s).", q=q.label, v=mentee_value)
        return say_plural(
            "%(q)s: the mentor is %(num)d level below the mentee.",
            "%(q)s: the mentor is %(num)d levels below the mentee.",
            -steps,
            q=q.label,
        )
    if kind is QuestionKind.TIMEZONE:
        hours = round(measure, 1)
        if hours == 0:
            return say("%(q)s: same time of day.", q=q.label)
        return say("%(q)s: %(h)s hours apart.", q=q.label, h=f"{hours:g}")
    if kind is QuestionKind.AVAILABILITY:
        hours = int(measure)
        return say_plural(
            "%(q)s: %(num)d hour a week when both are free.",
            "%(q)s: %(num)d hours a week when both are free.",
            hours,
            q=q.label,
        )
    if kind is QuestionKind.SCALE:
        return say("%(q)s: answers %(a)s and %(b)s (of 5).", q=q.label, a=mentee_value, b=mentor_value)
    return say("%(q)s", q=q.label)


def check_pair(built: Built, i: int, j: int) -> list[str]:
    """Hard constraints the pair breaks, in plain words (empty when it is allowed)."""
    model = built.model
    failed = []
    for q, c in built.criteria:
        if c.rule is None:
            continue
        if not bool(passes(c, raw_measure(c, model.mentees, model.mentors, i, j))):
            failed.append(f"{q.label}: {c.violation_text()}")
    return failed
