"""The pages' forms name a row by its id: an id that is not one (typed, too long) is a row that does
not exist (404), never a failure of Ritmo."""

from __future__ import annotations

import pytest

from lti_tool.mentoring.programmes.models import MatchingMode, ParticipantRole
from tests.mentoring.programmes.factories import world

NOT_IDS = ("abc", "²", str(2**70))


@pytest.mark.parametrize("bogus", NOT_IDS)
def test_a_bogus_id_in_a_pages_form_is_a_row_that_does_not_exist(client, app, bogus):
    w = world(MatchingMode.MENTEE_CHOICE)
    mentor = w.person("Mia Mentor", ParticipantRole.MENTOR)
    programme = f"/programmes/{w.programme.id}"
    for user, path, form in (
        (w.coordinator, "/participants", {"participant_id": bogus, "role": "mentor"}),
        (w.coordinator, "/questionnaire", {"delete": bogus}),
        (mentor.user_id, "/requests", {"request_id": bogus, "accept": "1"}),
    ):
        answered = client.post(programme + path, data={"ritmo_session": w.token(user), **form})
        assert answered.status_code == 404, (path, answered.status_code)


def test_one_to_one_pages_do_not_promise_a_mentor_several_mentees(client, app):
    w = world(MatchingMode.ONE_TO_ONE)
    w.programme.default_capacity = 6
    w.person("Mia Mentor", ParticipantRole.MENTOR)
    programme = f"/programmes/{w.programme.id}"
    session = {"ritmo_session": w.token(w.coordinator)}
    settings = client.post(programme + "/settings", data=session).get_data(as_text=True)
    assert 'aria-describedby="capacity-hint"' in settings and "each mentor has one mentee" in settings
    people = client.get(programme + "/participants", headers=w.headers(w.coordinator)).get_data(as_text=True)
    assert 'name="capacity"' in people and 'placeholder="1"' in people and 'placeholder="6"' not in people
