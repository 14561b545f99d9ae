"""The coordinator's milestone form, as a browser sends it: an unticked box means "no", and a
refused milestone comes back as the page, as typed, saying what to correct, with nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.goals.models import Milestone
from tests.grades.factory import World, bearer, make_world


@pytest.fixture
def world(app) -> World:
    return make_world(matches=1)


def _create(client, world: World, **fields: str):
    data = {"action": "create", "title_en": "First meeting", "completion_mode": "manual", "rule_count": "1"}
    return client.post(
        "/goals/milestones", headers=bearer(world.coord) | {"Accept": "text/html"}, data=data | fields
    )


def test_an_unticked_mentor_confirms_box_makes_a_milestone_the_mentee_completes_alone(client, world):
    made = _create(client, world)  # neither box ticked: a browser sends neither field
    assert made.status_code == 303, made.get_data(as_text=True)
    milestone = db.session.execute(sa.select(Milestone)).scalar_one()
    assert milestone.requires_confirmation is False and milestone.graded is False

    _create(client, world, title_en="Second", requires_confirmation="on")
    second = db.session.execute(sa.select(Milestone).where(Milestone.title == "Second")).scalar_one()
    assert second.requires_confirmation is True


def test_a_refused_milestone_keeps_what_was_typed_and_says_what_to_correct(client, world):
    refused = _create(
        client, world, title_it="Primo incontro", evidence="Notes of the meeting", graded="on",
        due_on="2027-03-01", requires_confirmation="on",
    )  # graded, but worth no points
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'role="alert"' in page and "Please correct the following:" in page
    assert 'value="First meeting"' in page and 'value="Primo incontro"' in page
    assert 'value="Notes of the meeting"' in page and 'value="2027-03-01"' in page
    assert 'name="graded" checked' in page and 'name="requires_confirmation" checked' in page
    # Tied to its field, whose label on the page ritmo.js shows in place of the API's name.
    said = 'data-field="points"><strong class="field-name">points</strong>: A graded milestone needs points'
    assert said in page and '<input type="number" step="any" min="0" name="points"' in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(Milestone)).scalar_one() == 0
