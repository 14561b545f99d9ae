"""`lti-tool demo` end to end, short of serving Ritmo: the mail catcher receives what Ritmo sends and
the Outbox page shows it; the first course's programme is seeded, through the services, once; the
second course is left for setting up from scratch."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.demo import DemoPlatform
from lti_tool.demo.server import _LateApp, _start
from lti_tool.demo_seed import ACTIVE_MENTEE, NO_PROFILE, seed_programme
from lti_tool.grades.models import DeliveryState, ScoreOutbox
from lti_tool.jobs.runner import drain
from lti_tool.launch.models import Platform
from lti_tool.launch.tool_config import registration_scope
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread
from lti_tool.mentoring.goals.models import Goal, Milestone
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchRun, MatchStatus
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus
from lti_tool.mentoring.profiles.models import Answer, Question
from lti_tool.mentoring.programmes.models import Participant, Programme
from lti_tool.server import DemoRun, start_demo
from tests.conftest import _config
from tests.mentoring.conversations.factories import free_port

TOOL = "http://127.0.0.1:5000"
COUNTED = (User, Course, Programme, Participant, Question, Answer, MatchRun, Match, MatchMentee)
ACTIVITY = (Thread, Post, ChatMessage, Goal, Meeting)


@pytest.fixture
def run(app: Flask, migrated: str, tmp_path: Path) -> Iterator[DemoRun]:
    """The demo on the test database (the ``app`` fixture emptied it), with its own ports."""
    config = _config(migrated, tmp_path / "demo")
    config.pop("BASE_URL")
    demo = start_demo(TOOL, free_port(), 0, config)
    try:
        with demo.app.app_context():
            yield demo
            db.session.remove()
            db.engine.dispose()  # the demo's own app: its connections end with the test
    finally:
        demo.lms.shutdown()
        demo.mail.stop()


def counts() -> dict[str, int]:
    return {
        model.__name__: int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
        for model in (*COUNTED, *ACTIVITY)
    }


def test_the_programme_is_seeded_ready_to_explore(run: DemoRun) -> None:
    seeded = run.seeded
    programme = db.session.get(Programme, seeded.programme_id)
    assert programme is not None and programme.requires_approval
    questions = db.session.scalars(sa.select(Question).where(Question.programme_id == programme.id)).all()
    assert seeded.questions == len(questions) == 4
    assert {q.key for q in questions} == {"topics", "languages", "timezone", "about"}
    people = db.session.scalars(sa.select(Participant).where(Participant.programme_id == programme.id)).all()
    # Everyone active in the LMS's course is in: the instructor coordinates, 29 learners, 5 mentors.
    assert len(people) == 35
    with_answers = set(db.session.scalars(sa.select(Answer.participant_id).distinct()))
    assert len(with_answers) == 33 == seeded.profiles  # all but the coordinator and one learner
    assert seeded.people[next(iter(NO_PROFILE))].user_id not in {
        p.user_id for p in people if p.id in with_answers
    }
    run_row = db.session.scalars(sa.select(MatchRun)).one()
    assert run_row.state.name == "DONE"
    statuses = db.session.scalars(sa.select(Match.status)).all()
    assert statuses.count(MatchStatus.ACTIVE) == 1
    # One to one: the run proposes a mentee for each of the four other mentors.
    assert statuses.count(MatchStatus.PROPOSED) == seeded.proposed == 4
    # The active pair is the tour's mentee's, and has a history.
    active = db.session.get(Match, seeded.active_match_id)
    assert active is not None and active.status is MatchStatus.ACTIVE
    mentee = db.session.scalars(
        sa.select(Participant)
        .join(MatchMentee, MatchMentee.mentee_id == Participant.id)
        .where(MatchMentee.match_id == active.id)
    ).one()
    assert mentee.user_id == seeded.people[ACTIVE_MENTEE].user_id
    assert db.session.scalar(sa.select(Thread.title).where(Thread.match_id == active.id))
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 2
    assert db.session.scalar(sa.select(Goal.title).where(Goal.match_id == active.id))
    # The tour's step 4: a graded milestone the mentee completes alone, for the gradebook.
    milestone = db.session.scalar(sa.select(Milestone).where(Milestone.programme_id == programme.id))
    assert milestone is not None and milestone.graded and milestone.points == 10
    assert milestone.requires_confirmation is False
    meeting = db.session.scalars(sa.select(Meeting).where(Meeting.match_id == active.id)).one()
    assert meeting.status is MeetingStatus.CONFIRMED


def test_seeding_again_changes_nothing(run: DemoRun) -> None:
    before = counts()
    platform = db.session.scalars(sa.select(Platform)).one()
    lms = DemoPlatform.of(run.lms.app)
    claims = [lms.build_id_token(p.user_id) for p in lms.course.members if p.status == "Active"]
    with run.app.test_request_context():
        again = seed_programme(platform.id, registration_scope(platform.id, platform.created_at), claims)
    assert counts() == before
    assert (again.programme_id, again.active_match_id) == (
        run.seeded.programme_id,
        run.seeded.active_match_id,
    )


def test_the_second_course_is_left_empty(run: DemoRun) -> None:
    page = requests.get(run.lms_url.replace("localhost", "127.0.0.1") + "/", timeout=10).text
    assert "Mentoring 102" in page and "ctx=CourseB" in page
    assert db.session.scalar(sa.select(Course.id).where(Course.context_id == "CourseB")) is None


def test_ritmo_mail_reaches_the_outbox_page(run: DemoRun) -> None:
    assert run.app.config["SMTP_PORT"] == run.mail.port
    drain()  # the inline runner's work: the approval told the pair by e-mail
    listing = requests.get(run.lms_url.replace("localhost", "127.0.0.1") + "/outbox", timeout=10).text
    assert "giulia.bianchi@demo.ritmo.invalid" in listing
    numbers = re.findall(r'href="/outbox/(\d+)"', listing)
    assert numbers
    links = [link for mail in DemoPlatform.of(run.lms.app).outbox.all() for link in mail.links]
    assert any(link.startswith(TOOL + "/") for link in links)


@pytest.fixture
def served(app: Flask, migrated: str, tmp_path: Path) -> Iterator[DemoRun]:
    """The demo as ``make demo`` runs it: Ritmo served over HTTP too (the LMS fetches its keys)."""
    config = _config(migrated, tmp_path / "demo")
    config.pop("BASE_URL")
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    demo = start_demo(f"http://127.0.0.1:{server.server_port}", free_port(), 0, config)
    late.app = demo.app
    tool = _start(server, demo.app)
    try:
        with demo.app.app_context():
            yield demo
            db.session.remove()
            db.engine.dispose()
    finally:
        tool.shutdown()
        demo.lms.shutdown()
        demo.mail.stop()


def test_the_tours_milestone_reaches_the_demo_gradebook(served: DemoRun) -> None:
    """README step 4: Giulia marks "Study plan agreed" as done, and the demo LMS's gradebook shows
    its points, sent through AGS by Ritmo's own jobs."""
    from lti_tool.jobs.runner import drain
    from lti_tool.mentoring.goals import completion

    milestone = db.session.scalar(sa.select(Milestone).where(Milestone.title == "Study plan agreed"))
    assert milestone is not None and served.seeded.active_match_id is not None
    giulia = served.seeded.people[ACTIVE_MENTEE]
    completion.mark_done(giulia, served.seeded.active_match_id, milestone.id, participant_id=None, note="")
    # Delivery waits a moment to gather completions: run the jobs as they fall due.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        drain()
        db.session.expire_all()
        states = set(db.session.execute(sa.select(ScoreOutbox.state)).scalars())
        if states == {DeliveryState.DELIVERED}:
            break
        time.sleep(0.2)
    said = [(r.last_status, r.last_error) for r in db.session.execute(sa.select(ScoreOutbox)).scalars()]
    assert states == {DeliveryState.DELIVERED}, said
    page = requests.get(f"{served.lms_url}/gradebook", timeout=10).text
    row = re.search(r"<tr>\s*<th scope=\"row\">Giulia Bianchi.*?</tr>", page, re.S)
    assert "Study plan agreed" in page and row is not None
    assert "10 / 10" in row.group(0), row.group(0)
