"""What coordinators may see of answers: aggregates of at least ``min_group`` people, free text only
where the person agreed to share it, and never who answered what in an anonymous survey.

Every coordinator view and export of answers goes through these functions, so the rule is in one place.
"""

from __future__ import annotations

from typing import Any

from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys.models import Survey

#: The programme setting that holds the smallest group whose answers coordinators may see.
MIN_GROUP_SETTING = "survey_min_group"
DEFAULT_MIN_GROUP = 5
#: Below three, an aggregate (a mean of two answers, and one's own) gives the other away.
FLOOR = 3

#: Characters a spreadsheet reads as the start of a formula in a cell.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def min_group(programme: Programme) -> int:
    """The programme's smallest group for aggregates: its setting, default 5, never below 3."""
    raw = (programme.settings or {}).get(MIN_GROUP_SETTING, DEFAULT_MIN_GROUP)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = DEFAULT_MIN_GROUP
    return max(FLOOR, value)


def aggregate_allowed(n: int, programme: Programme) -> bool:
    """Whether an aggregate of ``n`` people's answers may be shown to coordinators."""
    return n >= min_group(programme)


def text_visible(survey: Survey, share_text: bool) -> bool:
    """Whether a response's free text may be shown to coordinators (the person agreed)."""
    del survey  # the rule is the same for anonymous surveys; only the names go (see ``show_names``)
    return share_text


def show_names(survey: Survey) -> bool:
    """Whether coordinators may see who gave a response: never for an anonymous survey."""
    return not survey.anonymous


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (prefixed with ``'``)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
