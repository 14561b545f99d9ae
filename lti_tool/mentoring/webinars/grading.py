"""Grades for placed training: attendance of a webinar, completion of a content module.

A webinar or module placed in the course through deep linking as a graded item gets a gradebook
column (``resourceId`` = its target, ``tag`` = :data:`LINE_ITEM_TAG`). When a person attends or
completes it, the score goes into the grades outbox in the same transaction as the attendance, and
a job delivers it. Where the LMS gave no column for the placed link (Open edX's programmatic grades
send only ``lineitems``), Ritmo creates the item's own column, tied to that link; nothing is scored
for items that were never placed graded.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lti_tool.accounts.models import ResourceLink, User
from lti_tool.db import db
from lti_tool.events import DomainEvent
from lti_tool.grades import line_items
from lti_tool.grades import service as grades
from lti_tool.mentoring.content.models import ContentModule
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.mentoring.webinars.models import Webinar

LINE_ITEM_TAG = "ritmo-training"
SCORE_MAXIMUM = 1.0


def line_item_for(target: str, title: str) -> dict[str, Any]:
    """The ``lineItem`` a graded placement carries in the deep-linking response."""
    return {"scoreMaximum": SCORE_MAXIMUM, "label": title[:255], "resourceId": target, "tag": LINE_ITEM_TAG}


def _graded_link(course_id: int, target: str) -> ResourceLink | None:
    return db.session.execute(
        sa.select(ResourceLink)
        .where(
            ResourceLink.course_id == course_id,
            ResourceLink.target == target,
            ResourceLink.lineitem_url.is_not(None),
        )
        .order_by(ResourceLink.id)
        .limit(1)
    ).scalar_one_or_none()


def score(event: DomainEvent, target: str, title: str, done: bool) -> bool:
    """Write the person's score for ``target`` if it was placed graded; returns whether it did."""
    programme = db.session.get(Programme, event.programme_id)
    participant = db.session.get(Participant, event.participant_id) if event.participant_id else None
    if programme is None or participant is None:
        return False
    # Placed graded: the LMS named the link's column at launch, or deep linking placed it with a
    # lineItem the LMS ignored (Open edX's programmatic grades), and Ritmo makes the column itself.
    if _graded_link(programme.course_id, target) is None and (
        line_items.find(programme.course_id, target) is None
    ):
        return False
    line_item = grades.ensure_line_item(programme.course_id, target, LINE_ITEM_TAG, title, SCORE_MAXIMUM)
    line_items.adopt_link(line_item, programme.course_id, [target])
    user = db.session.get(User, participant.user_id)
    assert user is not None
    value = grades.Score(SCORE_MAXIMUM, SCORE_MAXIMUM) if done else grades.Score.cleared(SCORE_MAXIMUM)
    grades.set_score(line_item, user, value, actor_user_id=event.actor_user_id)
    return True


def on_attended(event: DomainEvent) -> None:
    webinar = db.session.get(Webinar, event.data["webinar_id"])
    if webinar is not None:
        score(event, f"webinar:{webinar.id}", webinar.title, True)


def on_attendance_removed(event: DomainEvent) -> None:
    webinar = db.session.get(Webinar, event.data["webinar_id"])
    if webinar is not None:
        score(event, f"webinar:{webinar.id}", webinar.title, False)


def on_content_completed(event: DomainEvent) -> None:
    if not event.data.get("module_completed"):
        return
    module = db.session.get(ContentModule, event.data["module_id"])
    if module is not None:
        score(event, f"content:{module.id}", module.title, True)
