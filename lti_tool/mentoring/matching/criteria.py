"""What matching looks at in a programme's questionnaire: its criteria, and the same in words.

Public to the other features: profiles shows participants these rules beside the questions.
``problem.py`` turns the criteria into the engine's columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from lti_tool.mentoring.matching.scoring import Criterion, Kind, Rule
from lti_tool.mentoring.profiles.models import Constraint, Question, QuestionKind

KIND_FOR: dict[QuestionKind, Kind] = {
    QuestionKind.TAGS: Kind.TAGS,
    QuestionKind.MULTI_CHOICE: Kind.MULTI_CHOICE,
    QuestionKind.LANGUAGES: Kind.LANGUAGES,
    QuestionKind.SINGLE_CHOICE: Kind.SINGLE_CHOICE,
    QuestionKind.DEPARTMENT: Kind.CATEGORY,
    QuestionKind.TIMEZONE: Kind.TIMEZONE,
    QuestionKind.AVAILABILITY: Kind.AVAILABILITY,
    QuestionKind.LEVEL: Kind.LEVEL,
    QuestionKind.SCALE: Kind.SCALE,
}
RULE_FOR = {
    Constraint.MUST_SHARE: Rule.MUST_SHARE,
    Constraint.MUST_DIFFER: Rule.MUST_DIFFER,
    Constraint.AT_MOST: Rule.AT_MOST,
}


def column_key(question: Question) -> str:
    return f"q{question.id}"


def criteria_for(questions: Sequence[Question]) -> list[tuple[Question, Criterion]]:
    """The matching criteria of a questionnaire (questions with a weight or a constraint)."""
    out = []
    for q in questions:
        if not q.matters_for_matching or q.kind not in KIND_FOR:
            continue
        rule = RULE_FOR[q.constraint] if q.constraint is not None else None
        limit = q.limit
        if rule is Rule.MUST_SHARE and q.kind is QuestionKind.AVAILABILITY:
            limit = max(q.limit or 1.0, 1.0)
        out.append(
            (
                q,
                Criterion(
                    key=column_key(q),
                    kind=KIND_FOR[q.kind],
                    weight=float(q.weight),
                    rule=rule,
                    limit=limit,
                    label=q.shown_label,
                ),
            )
        )
    return out


def rules_in_words(questions: Sequence[Question]) -> list[str]:
    """What the programme's matching looks at, in sentences a participant understands."""
    criteria = criteria_for(questions)
    total = sum(c.weight for _q, c in criteria) or 1.0
    lines = []
    for q, c in criteria:
        if c.weight > 0:
            lines.append(
                _(
                    "%(q)s counts for %(p)d%% of the match score.",
                    q=q.shown_label,
                    p=round(100 * c.weight / total),
                )
            )
        if q.constraint is Constraint.MUST_SHARE:
            lines.append(_("%(q)s: mentor and mentee must have something in common.", q=q.shown_label))
        elif q.constraint is Constraint.MUST_DIFFER:
            lines.append(_("%(q)s: mentor and mentee must differ.", q=q.shown_label))
        elif q.constraint is Constraint.AT_MOST:
            lines.append(
                _("%(q)s: mentor and mentee at most %(n)s apart.", q=q.shown_label, n=f"{q.limit:g}")
            )
    if not lines:
        lines.append(_("The programme has not chosen matching criteria yet."))
    return lines
