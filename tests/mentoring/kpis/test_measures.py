"""Catalogue figures from timestamps, as of now and as of a past day (what back-fills trends)."""

from __future__ import annotations

import pytest

from lti_tool.db import db, utcnow
from lti_tool.mentoring.kpis import catalogue
from lti_tool.mentoring.matching.models import EndReason
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.kpis.factories import DAY
from tests.mentoring.matching import states as match_states
from tests.mentoring.programmes.factories import World, world


@pytest.fixture
def w(app) -> World:
    return world()


def test_time_to_match_matched_share_and_completion(w: World) -> None:
    now = utcnow()
    mentor, other = w.person("Tess", ParticipantRole.MENTOR), w.person("Theo", ParticipantRole.MENTOR)
    ann, bob, cy = (w.person(name, ParticipantRole.MENTEE) for name in ("Ann", "Bob", "Cy"))
    first = match_states.active(w.programme, mentor, [ann])
    second = match_states.active(w.programme, other, [bob])
    for person in (ann, bob, cy):
        person.created_at = now - 10 * DAY
    first.started_at, second.started_at = now - 4 * DAY, now - 2 * DAY  # 6 and 8 days after joining
    db.session.commit()
    found = catalogue.values(w.programme.id, now)
    assert found["time_to_match"] == 7.0
    assert found["matched_share"] == round(200 / 3, 1)  # Cy has no match
    assert found["programme_completion"] == 0.0
    # Three days ago only Ann's match had started.
    assert catalogue.values(w.programme.id, now - 3 * DAY, ["time_to_match"]) == {"time_to_match": 6.0}
    match_states.ended(w.programme, first, EndReason.COMPLETED)
    db.session.commit()
    assert catalogue.values(w.programme.id, utcnow(), ["programme_completion"]) == {
        "programme_completion": 50.0
    }
