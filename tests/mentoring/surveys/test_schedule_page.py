"""The coordinator's schedule page of a survey: who may open it, what it saves, what it refuses."""

from __future__ import annotations

import pytest

from lti_tool.accounts.models import Course
from lti_tool.db import db
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.surveys import occasions
from lti_tool.mentoring.surveys.models import Survey
from tests.mentoring.conversations.factories import World, make_world
from tests.mentoring.surveys.schedule_world import add_survey
from tests.session_codes import rh

GOOD = {
    "baseline": "match_started",
    "pulse_after_days": "30",
    "pulse_every_days": "60",
    "after_meeting": "on",
    "programme_end": "on",
    "window_days": "10",
    "remind_days_before": "3",
}


@pytest.fixture
def world(app) -> World:
    return make_world()


def url(world: World, survey: Survey) -> str:
    return f"/programmes/{world.programme.id}/surveys/{survey.id}/schedule"


def test_only_coordinators_of_the_programme_open_it(client, world: World) -> None:
    survey = add_survey(world, {})
    for user in (world.mentor, world.mentee):
        assert client.get(f"{url(world, survey)}?rh={rh(world.token(user))}").status_code == 403
        refused = client.post(f"{url(world, survey)}?rh={rh(world.token(user))}", data=GOOD)
        assert refused.status_code == 403
    db.session.refresh(survey)
    assert survey.schedule == {}
    page = client.get(f"{url(world, survey)}?rh={rh(world.token(world.coordinator))}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "How is it going?" in html and 'name="window_days"' in html
    assert "Nobody has been asked yet." in html
    # A survey of another programme is not found from this one.
    course = Course(platform_id=world.platform.id, context_id="course-2", title="Other")
    db.session.add(course)
    db.session.flush()
    programme = Programme(course_id=course.id, title="Other")
    db.session.add(programme)
    db.session.flush()
    theirs = Survey(programme_id=programme.id, title_en="Theirs")
    db.session.add(theirs)
    db.session.commit()
    missing = client.get(
        f"/programmes/{world.programme.id}/surveys/{theirs.id}/schedule?rh={rh(world.token(world.coordinator))}"
    )
    assert missing.status_code == 404


def test_the_coordinator_saves_a_schedule_that_then_sends(client, world: World) -> None:
    survey = add_survey(world, {})
    saved = client.post(f"{url(world, survey)}?rh={rh(world.token(world.coordinator))}", data=GOOD)
    assert saved.status_code == 200 and "Schedule saved." in saved.get_data(as_text=True)
    db.session.refresh(survey)
    assert survey.schedule == {
        "baseline": "match_started",
        "pulse_after_days": 30,
        "pulse_every_days": 60,
        "after_meeting": True,
        "closing": False,
        "programme_end": True,
        "window_days": 10,
        "remind_days_before": 3,
    }
    # What was saved is what the run follows: the two pairs' baseline, now.
    from_now = occasions.run(world.match.started_at)  # type: ignore[arg-type]
    assert from_now["invited"] == 4
    page = client.get(f"{url(world, survey)}?rh={rh(world.token(world.coordinator))}")
    html = page.get_data(as_text=True)
    assert "checked" in html and 'value="60"' in html
    assert "Asked: Mentors and mentees." in html
    # The programme has no end date: the page says the programme's-end survey waits for one.
    assert 'id="no-end-date"' in html
    assert '<th scope="row">Baseline</th><td>4</td><td>0</td><td>0</td>' in html


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_days": "0"}, "Response window (days)"),
        ({"window_days": "90"}, "Response window (days)"),
        # Not before a 10-day window closes.
        ({"remind_days_before": "12"}, "Remind this many days before the window closes"),
        ({"pulse_every_days": "7"}, "Response window (days)"),  # longer than the pulse interval
        ({"pulse_after_days": "", "pulse_every_days": "30"}, "First pulse, days after the match starts"),
        ({"baseline": "sometimes"}, "Baseline"),
        ({"pulse_after_days": "soon"}, "First pulse, days after the match starts"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    client, world: World, change: dict[str, str], field: str
) -> None:
    survey = add_survey(world, {"closing": True})
    refused = client.post(
        f"{url(world, survey)}?rh={rh(world.token(world.coordinator))}", data={**GOOD, **change}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'role="alert"' in html and f'<strong class="field-name">{field}</strong>' in html
    db.session.refresh(survey)
    assert survey.schedule == {"closing": True}
