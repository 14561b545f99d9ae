"""Gradebook columns that follow their milestone, seen in the demo LMS's own gradebook.

Each step is what a coordinator does in Ritmo; after it, the jobs run and the test reads the LMS's
column (label, maximum, scores) from the demo LMS's AGS store, the way an instructor would see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import ResourceLink
from lti_tool.db import db
from lti_tool.demo.roster import ResourceLink as DemoLink
from lti_tool.grades import line_items
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.goals import completion, milestones
from lti_tool.mentoring.goals.models import CompletionMode
from tests.grades.factory import FAST_GRADES, Lms, World, deliver_all, demo_lms, make_world


@pytest.fixture
def app_config() -> dict[str, object]:
    return dict(FAST_GRADES)


@pytest.fixture
def lms(app) -> Iterator[Lms]:
    with demo_lms() as lms:
        yield lms


def columns(lms: Lms) -> dict[str, dict[str, Any]]:
    """resourceId -> what the LMS shows: label, maximum, resourceLinkId and scores by user."""
    platform = lms.platform
    out = {}
    for item in platform.gradebook.query(platform.course.context_id, {}):
        if not item.extra.get("resourceId", "").startswith("ritmo:"):
            continue  # the demo course's own graded link
        out[item.extra["resourceId"]] = {
            "label": item.label,
            "max": item.score_maximum,
            "link": item.extra.get("resourceLinkId"),
            "scores": {
                sub: (rec.latest.get("scoreGiven"), rec.latest.get("scoreMaximum"))
                for sub, rec in platform.gradebook.scores(item).items()
            },
        }
    return out


def settle(app) -> None:
    deliver_all(app)
    drain()


def milestone_data(title: str, points: float, graded: bool = True) -> dict[str, Any]:
    return {"title": title, "graded": graded, "points": points,
            "completion_mode": CompletionMode.MANUAL, "requires_confirmation": False}


def world_with_total(lms: Lms) -> World:
    world = make_world(lms.register(), matches=1, lineitems_url=lms.lineitems_url)
    world.programme.title = "Peer mentoring"
    milestones.set_programme_total(world.coord, True)
    return world


def test_columns_follow_rename_points_new_and_removed_milestones(app, lms: Lms) -> None:
    world = world_with_total(lms)
    (match,), (mentee,) = world.matches, world.mentees
    sub = "u-learner-01"
    first = milestones.create_milestone(world.coord, milestone_data("First meeting", 5)).id
    second = milestones.create_milestone(world.coord, milestone_data("Plan agreed", 10)).id
    completion.mark_done(world.ctx(mentee), match.id, first)
    settle(app)
    book = columns(lms)
    first_id, total_id = f"ritmo:milestone:{first}", f"ritmo:programme:{world.programme.id}"
    assert book[first_id]["label"] == "First meeting" and book[first_id]["max"] == 5
    assert book[first_id]["scores"] == {sub: (5, 5)}
    # The total column is named for the programme, not the course ("Mentoring 101").
    assert book[total_id]["label"] == "Peer mentoring: milestones total"
    assert book[total_id]["max"] == 15 and book[total_id]["scores"] == {sub: (5, 15)}

    # Renamed, and worth 8 instead of 5: the column says so, and holds 8 out of 8.
    milestones.update_milestone(world.coord, first, {"title": "First meeting held", "points": 8})
    settle(app)
    book = columns(lms)
    assert book[first_id]["label"] == "First meeting held" and book[first_id]["max"] == 8
    assert book[first_id]["scores"] == {sub: (8, 8)}
    assert book[total_id]["max"] == 18 and book[total_id]["scores"] == {sub: (8, 18)}

    # A new graded milestone raises the total's maximum, with nobody's score due for it.
    milestones.create_milestone(world.coord, milestone_data("Review", 4))
    settle(app)
    book = columns(lms)
    assert book[total_id]["max"] == 22 and book[total_id]["scores"] == {sub: (8, 22)}
    assert len(book) == 2, "no column for the new milestone until it is scored or placed"

    # A rename with no score due still reaches the column (the grades job, not a score).
    milestones.update_milestone(world.coord, first, {"title": "Kick-off"})
    settle(app)
    assert columns(lms)[first_id]["label"] == "Kick-off"

    # Ungraded: the column stays (an instructor's entries are theirs), marked and cleared.
    milestones.update_milestone(world.coord, first, {"graded": False})
    settle(app)
    book = columns(lms)
    assert book[first_id]["label"] == "Kick-off (no longer graded in Ritmo)"
    assert book[first_id]["scores"] == {sub: (None, None)}
    assert book[total_id]["max"] == 14 and book[total_id]["scores"] == {sub: (0, 14)}

    # Graded again: its title comes back.
    milestones.update_milestone(world.coord, first, {"graded": True, "points": 2})
    settle(app)
    book = columns(lms)
    assert book[first_id]["label"] == "Kick-off" and book[first_id]["max"] == 2
    assert book[first_id]["scores"] == {sub: (2, 2)}

    # Deleted: marked, grades cleared, never deleted from the LMS by Ritmo.
    milestones.delete_milestone(world.coord, second)
    milestones.delete_milestone(world.coord, first)
    settle(app)
    book = columns(lms)
    assert book[first_id]["label"] == "Kick-off (no longer graded in Ritmo)"
    assert book[first_id]["scores"] == {sub: (None, None)}
    assert book[total_id]["max"] == 4
    assert len(book) == 2


def test_a_column_made_for_a_resource_link_carries_its_id(app, lms: Lms) -> None:
    world = world_with_total(lms)
    (match,), (mentee,) = world.matches, world.mentees
    first = milestones.create_milestone(world.coord, milestone_data("First meeting", 5)).id
    # The milestone's link is in the course (placed, then launched) but the LMS named no column
    # for it: Ritmo's own column carries the link's id.
    link_id = "placed-link-1"
    lms.platform.add_link(lms.platform.course.context_id,
                          DemoLink(link_id, "First meeting", custom={"ritmo_target": f"milestone:{first}"}))
    db.session.add(ResourceLink(course_id=world.course.id, resource_link_id=link_id,
                                target=f"milestone:{first}"))
    db.session.commit()
    completion.mark_done(world.ctx(mentee), match.id, first)
    settle(app)
    book = columns(lms)
    assert book[f"ritmo:milestone:{first}"]["link"] == link_id
    stored = db.session.execute(
        sa.select(GradeLineItem).where(GradeLineItem.resource_id == f"ritmo:milestone:{first}")
    ).scalar_one()
    assert stored.resource_link_id == link_id and stored.synced_revision == stored.revision


def test_a_rename_with_no_score_due_reaches_the_column_through_the_grades_job(app, lms: Lms) -> None:
    world = world_with_total(lms)
    (match,), (mentee,) = world.matches, world.mentees
    first = milestones.create_milestone(world.coord, milestone_data("First meeting", 5)).id
    completion.mark_done(world.ctx(mentee), match.id, first)
    settle(app)
    completion.undo(world.coord, match.id, first, mentee.id)
    settle(app)
    assert columns(lms)[f"ritmo:milestone:{first}"]["scores"] == {"u-learner-01": (None, None)}

    milestones.update_milestone(world.coord, first, {"title": "Kick-off"})
    # Nobody holds the milestone now: no score is due, only the column's update.
    assert not db.session.execute(
        sa.select(ScoreOutbox).where(ScoreOutbox.state == DeliveryState.PENDING,
                                     ScoreOutbox.line_item_id == column_row(first).id)
    ).first()
    assert jobs_queued(line_items.SYNC_TASK) == 1
    drain()
    assert columns(lms)[f"ritmo:milestone:{first}"]["label"] == "Kick-off"
    row = column_row(first)
    assert row.synced_revision == row.revision


def column_row(milestone_id: int) -> GradeLineItem:
    db.session.expire_all()
    return db.session.execute(
        sa.select(GradeLineItem).where(GradeLineItem.resource_id == f"ritmo:milestone:{milestone_id}")
    ).scalar_one()


def jobs_queued(task: str) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Job).where(Job.task == task, Job.state == JobState.QUEUED)
    ).scalar_one()
