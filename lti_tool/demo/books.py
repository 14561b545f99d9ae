"""The pages an LMS user looks at besides the course: the Gradebook and the demo's Outbox.

The Gradebook shows each course's line items by learner, as an instructor sees them (the JSON at
``/demo/gradebook`` is for tests); the Outbox shows what Ritmo e-mailed, caught by the demo's mail
catcher, with the links clickable (an e-mail's sign-in link opens Ritmo as that person).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template

from .ags import LineItem, ScoreRecord
from .platform import get_platform
from .roster import Course, Person

bp = Blueprint("demo_books", __name__)


@dataclass(frozen=True)
class Cell:
    """One learner's grade in one column: what an instructor reads, and when it came."""

    shown: str
    progress: str = ""
    when: str = ""


def _cell(item: LineItem, record: ScoreRecord | None) -> Cell:
    if record is None:
        return Cell("–")
    score: dict[str, Any] = record.latest
    given, maximum = score.get("scoreGiven"), score.get("scoreMaximum") or item.score_maximum
    if given is None:
        shown = "–"
    else:
        # Rescaled to the column's maximum, as LMS gradebooks do.
        value = float(given) / float(maximum) * item.score_maximum if maximum else float(given)
        shown = f"{value:g} / {item.score_maximum:g}"
    progress = f"{score.get('activityProgress', '')}, {score.get('gradingProgress', '')}".strip(", ")
    return Cell(shown, progress, record.timestamp.strftime("%Y-%m-%d %H:%M UTC"))


@dataclass(frozen=True)
class CourseGrades:
    course: Course
    items: list[LineItem]
    rows: list[tuple[Person, list[Cell]]]


def _grades(course: Course) -> CourseGrades:
    gradebook = get_platform().gradebook
    items = gradebook.query(course.context_id, {})
    scores = {item.id: gradebook.scores(item) for item in items}
    learners = [p for p in course.members if p.label != "Instructor"]
    rows = [(p, [_cell(i, scores[i.id].get(p.user_id)) for i in items]) for p in learners]
    return CourseGrades(course, items, rows)


@bp.get("/gradebook")
def gradebook() -> str:
    platform = get_platform()
    return render_template("demo/gradebook.html", books=[_grades(c) for c in platform.courses.values()])


@bp.get("/outbox")
def outbox() -> str:
    return render_template("demo/outbox.html", mails=get_platform().outbox.all())


@bp.get("/outbox/<int:number>")
def mail(number: int) -> str:
    found = get_platform().outbox.get(number)
    if found is None:
        abort(404, "No such message in the outbox (it keeps the newest 500).")
    return render_template("demo/mail.html", mail=found)
