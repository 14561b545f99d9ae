"""The evaluation in words: figures in the reader's language, the one-sentence reading of a
group's before/after a funder can quote, and why a group is hidden."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from lti_tool.mentoring.surveys.evaluation import Group, Scale


def number(value: float | None, places: int = 2) -> str:
    """A figure in the reader's language (``0,6`` in Italian); a dash when there is none."""
    if value is None:
        return "–"
    return format_decimal(round(value, places) + 0.0, format="0." + "0" * places)


def reading(scale: Scale, group: Group, minimum: int) -> str:
    """One sentence a funder can read: "Mentees: career support rose by 0.6 points on 5 (95% CI 0.3
    to 0.9, n = 42)." and whether the interval leaves out no change."""
    if group.result is None:
        return hidden_text(group.hidden, minimum)
    r = group.result
    values = {
        "group": group.label,
        "scale": scale.label,
        "diff": number(abs(r.mean_diff), 1),
        "points": scale.points,
        "n": r.n,
        "low": number(r.ci_low, 1),
        "high": number(r.ci_high, 1),
    }
    if round(r.mean_diff, 1) == 0:
        sentence = _(
            "%(group)s: %(scale)s did not change (95%% CI %(low)s to %(high)s, n = %(n)d).", **values
        )
    elif r.mean_diff > 0:
        sentence = _(
            "%(group)s: %(scale)s rose by %(diff)s points on %(points)d (95%% CI %(low)s to %(high)s, "
            "n = %(n)d).",
            **values,
        )
    else:
        sentence = _(
            "%(group)s: %(scale)s fell by %(diff)s points on %(points)d (95%% CI %(low)s to %(high)s, "
            "n = %(n)d).",
            **values,
        )
    if r.ci_low is None or r.ci_high is None:
        return sentence
    if r.ci_low > 0 or r.ci_high < 0:
        return (
            sentence
            + " "
            + _("The interval leaves out no change: the change is unlikely to be chance alone.")
        )
    return (
        sentence + " " + _("The interval includes no change: these answers cannot tell a change from chance.")
    )


def hidden_text(reason: str | None, minimum: int) -> str:
    if reason == "complement":
        return _("Hidden, so that a smaller group cannot be worked out from the others.")
    return _("Fewer than %(min)d: hidden.", min=minimum)
