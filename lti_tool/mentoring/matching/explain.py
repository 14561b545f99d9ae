"""Plain-language explanations: why this mentor, and why not that one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .engine import MatchingProblem, MatchingResult, SolveOptions, solve
from .scoring import CODE_KINDS, Criterion, Kind, Model, Side, criterion_scores, passes


@dataclass(frozen=True)
class Contribution:
    """One criterion's part of a pair's score.

    :ivar score: criterion score in [0, 1].
    :ivar points: share of the total score (weight-normalised).
    :ivar passed: hard-constraint outcome, None when the criterion has none.
    """

    key: str
    label: str
    score: float
    points: float
    text: str
    passed: bool | None


@dataclass(frozen=True)
class Explanation:
    """Per-criterion breakdown of one (mentee, mentor) pair."""

    mentee: int
    mentor: int
    score: float
    feasible: bool
    contributions: tuple[Contribution, ...]
    failed: tuple[str, ...]

    @property
    def text(self) -> str:
        """Criteria in plain words, biggest contribution first."""
        items = sorted(self.contributions, key=lambda c: -c.points)
        return "; ".join(c.text for c in items if c.text)


@dataclass(frozen=True)
class WhyNot:
    """Answer to "why not this mentor for this mentee?".

    :ivar code: ``matched``, ``blocked``, ``locked``, ``forbidden``,
        ``unavailable``, ``constraint``, ``full`` or ``score``.
    :ivar cohort_loss: drop of the cohort's total score if the pair were
        forced (best re-assignment of everyone else), when computed.
    :ivar matched_loss: mentees who would lose their match if it were forced.
    """

    code: str
    text: str
    failed: tuple[str, ...] = ()
    score: float | None = None
    chosen_mentor: int | None = None
    chosen_score: float | None = None
    cohort_loss: float | None = None
    matched_loss: int | None = None


def _bits_names(side: Side, key: str, row: int, other: Side, col: int, names: Sequence[str]) -> list[str]:
    shared = side.csr[key][row].multiply(other.csr[key][col]).indices
    return [names[t] for t in sorted(shared) if t < len(names)]


def _count(n: float, noun: str) -> str:
    return f"{n:g} {noun}" if n == 1 else f"{n:g} {noun}s"


def _describe(c: Criterion, model: Model, i: int, j: int, m: float, names: Sequence[str]) -> str:
    """Plain words for the raw measure ``m`` of criterion ``c``."""
    a, b = model.mentees, model.mentors
    if c.kind is Kind.TAGS:
        want = int(a.counts[c.key][i])
        shared = _bits_names(a, c.key, i, b, j, names) if names else []
        tail = f" ({', '.join(shared)})" if shared else ""
        return f"shares {int(m)} of the {want} {c.name} you want{tail}"
    if c.kind in (Kind.LANGUAGES, Kind.MULTI_CHOICE):
        if m == 0:
            return f"no shared {c.name}"
        shared = _bits_names(a, c.key, i, b, j, names) if names else []
        tail = f": {', '.join(shared)}" if shared else ""
        return f"shares {int(m)} of your {c.name}{tail}"
    if c.kind in CODE_KINDS:
        if np.isnan(m):
            return f"{c.name} unknown"
        return f"same {c.name}" if m == 1 else f"different {c.name}"
    if c.kind is Kind.TIMEZONE:
        return "same time zone" if m == 0 else f"{m:g} h apart"
    if c.kind is Kind.AVAILABILITY:
        return f"{_count(m, 'hour')} a week when you are both free"
    if c.kind is Kind.LEVEL:
        if np.isnan(m):
            return f"{c.name} unknown"
        if m == 0:
            return f"same {c.name} as you"
        return f"{_count(abs(m), 'level')} {'above' if m > 0 else 'below'} you"
    return f"answers {_count(m, 'point')} apart on {c.name}"


def explain(problem: MatchingProblem, mentee: int, mentor: int, model: Model | None = None) -> Explanation:
    """Per-criterion contributions of one pair, in plain words.

    Example text: "shares 4 of the 5 skills you want; 6 hours a week when you
    are both free; 2 h apart".
    """
    model = model or problem.model()
    norm = model.total_weight or 1.0
    i, j = np.array([mentee]), np.array([mentor])
    items: list[Contribution] = []
    failed: list[str] = []
    for c in model.criteria:
        m, s = criterion_scores(c, model.mentees, model.mentors, i, j)
        ok = bool(passes(c, m)[0]) if c.rule is not None else None
        if ok is False:
            failed.append(c.violation_text())
        names = problem.vocabularies.get(c.key, ())
        text = _describe(c, model, mentee, mentor, float(m[0]), names)
        items.append(Contribution(c.key, c.name, float(s[0]), c.weight / norm * float(s[0]), text, ok))
    score = float(sum(x.points for x in items))
    return Explanation(mentee, mentor, score, not failed, tuple(items), tuple(failed))


def why_not(
    problem: MatchingProblem,
    result: MatchingResult,
    mentee: int,
    mentor: int,
    options: SolveOptions | None = None,
    cohort: bool = True,
) -> WhyNot:
    """Why ``mentor`` was not proposed for ``mentee``.

    Hard-constraint failures are named; otherwise the pair's score is compared
    with the chosen pair and, when ``cohort`` is true, the problem is solved
    again with the pair locked to price the swap for the whole cohort.
    """
    if result.assignment[mentee] == mentor:
        return WhyNot("matched", "this mentor is the proposed match")
    if problem.mentees.blocked is not None and problem.mentees.blocked[mentee] is not None:
        return WhyNot("blocked", f"mentee is not in matching: {problem.mentees.blocked[mentee]}")
    if result.locked[mentee]:
        return WhyNot("locked", f"mentee is locked to mentor {int(result.assignment[mentee])}")
    if problem.capacities()[mentor] <= 0:
        return WhyNot("unavailable", "this mentor takes no mentees in this programme")
    if (mentee, mentor) in {(int(a), int(b)) for a, b in problem.forbidden_pairs}:
        return WhyNot("forbidden", "this pair was excluded by an administrator")
    model = problem.model()
    pair = explain(problem, mentee, mentor, model)
    if pair.failed:
        return WhyNot("constraint", "not possible: " + "; ".join(pair.failed), pair.failed, pair.score)
    chosen = int(result.assignment[mentee])
    chosen_score = float(result.scores[mentee]) if chosen >= 0 else None
    full = len(result.mentees_of(mentor)) >= problem.capacities()[mentor]
    code = "full" if full else "score"
    if chosen >= 0:
        text = f"scores {pair.score:.2f} against {chosen_score:.2f} for the proposed mentor {chosen}"
    else:
        text = f"scores {pair.score:.2f}; the mentee is unmatched"
    if full:
        text += "; this mentor is full"
    loss: float | None = None
    lost: int | None = None
    if cohort:
        locks = [p for p in problem.locked_pairs if int(p[0]) != mentee] + [(mentee, mentor)]
        forced = solve(replace(problem, locked_pairs=tuple(locks)), options)
        loss = result.total_score - forced.total_score
        lost = result.matched_count - forced.matched_count
        text += f"; forcing it would lower the cohort's total score by {loss:.2f}"
        if lost > 0:
            text += f" and leave {_count(lost, 'more mentee')} unmatched"
    return WhyNot(code, text, (), pair.score, chosen if chosen >= 0 else None, chosen_score, loss, lost)
