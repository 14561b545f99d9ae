"""In Chromium, inside the demo LMS's frame: a coordinator opens the attention list from the
programme home, sees a score the LMS refused for real, retries it, and sees who acted."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lti_tool.accounts.models import CourseRole, User
from lti_tool.db import db, utcnow
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention.models import AttentionAction
from lti_tool.mentoring.goals import completion, milestones
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme
from tests.grades.factory import deliver_all

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
WAIT = 60_000


def refused_score(stack) -> int:
    """A pair in the launched course whose mentee the LMS does not know: completing a graded
    milestone sends a score the demo LMS answers 400 to, and the outbox row ends failed."""
    with stack.app.app_context():
        programme = db.session.execute(sa.select(Programme)).scalar_one()
        coordinator = db.session.execute(sa.select(User).where(User.sub == "u-instructor")).scalar_one()
        assert programme.course.lineitems_url, "the launch shares the course's gradebook (AGS)"
        people = []
        for sub, name, role in (
            ("u-mentor-x", "Marta Mentor", ParticipantRole.MENTOR),
            ("u-stranger", "Sam Stranger", ParticipantRole.MENTEE),
        ):
            user = User(platform_id=coordinator.platform_id, sub=sub, name=name)
            db.session.add(user)
            db.session.flush()
            person = Participant(programme_id=programme.id, user_id=user.id, role=role)
            db.session.add(person)
            db.session.flush()
            people.append(person)
        mentor, mentee = people
        match = Match(
            programme_id=programme.id, mentor_id=mentor.id, status=MatchStatus.ACTIVE, started_at=utcnow()
        )
        db.session.add(match)
        db.session.flush()
        db.session.add(MatchMentee(match_id=match.id, mentee_id=mentee.id))
        db.session.commit()

        def ctx(user_id: int, role: CourseRole) -> LaunchContext:
            return LaunchContext(
                platform_id=coordinator.platform_id, user_id=user_id, course_id=programme.course_id, role=role
            )

        milestone = milestones.create_milestone(
            ctx(coordinator.id, CourseRole.COORDINATOR),
            {"title": "First meeting", "graded": True, "points": 5, "requires_confirmation": False},
        )
        completion.mark_done(ctx(mentee.user_id, CourseRole.PARTICIPANT), match.id, milestone.id)
        deliver_all(stack.app)
        row = db.session.execute(sa.select(ScoreOutbox)).scalar_one()
        assert row.state is DeliveryState.FAILED and "not a member" in (row.last_error or "")
        return row.id


def test_a_coordinator_retries_a_refused_score_and_sees_who_acted(browser, stack) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{stack.lms_url}/demo/launch?user=u-instructor")
        frame = page.frame_locator("#tool-frame")
        frame.locator("#open-attention").wait_for(timeout=WAIT)
        outbox_id = refused_score(stack)

        frame.locator("#open-attention").click()
        item = frame.locator(f"[data-source='grade_delivery'][data-key='score:{outbox_id}']")
        item.wait_for(timeout=WAIT)
        page.screenshot(path=str(SCREENSHOTS / "attention-list.png"), full_page=True)
        assert (
            "The score of Sam Stranger for “First meeting” did not reach the gradebook" in item.inner_text()
        )
        assert "not a member" in item.inner_text()

        item.locator("input[name=note]").fill("Added Sam to the course")
        item.get_by_role("button", name="Retry").click()
        frame.locator("#attention-done").wait_for(timeout=WAIT)
        page.screenshot(path=str(SCREENSHOTS / "attention-retried.png"), full_page=True)
        assert frame.locator("#attention-done").inner_text() == "1 score will be sent to the gradebook again."
        handled = frame.locator(f"#attention-handled [data-key='score:{outbox_id}']")
        handled.wait_for(timeout=WAIT)
        said = handled.inner_text()
        assert "Irene Instructor chose “Retry”" in said and "ago" in said
        assert "Added Sam to the course" in said
        assert frame.locator("[data-source='grade_delivery'] button").count() == 0  # no longer waiting
    finally:
        context.close()
    with stack.app.app_context():
        row = db.session.get(ScoreOutbox, outbox_id)
        assert row is not None and row.state is DeliveryState.PENDING  # queued for delivery again
        record = db.session.execute(sa.select(AttentionAction)).scalar_one()
        coordinator = db.session.execute(sa.select(User).where(User.sub == "u-instructor")).scalar_one()
        assert (record.actor_user_id, record.action, record.note) == (
            coordinator.id,
            "retry",
            "Added Sam to the course",
        )
