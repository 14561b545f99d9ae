"""Choosing figures and setting targets (coordinators of the course only), and the meets-target rule."""

from __future__ import annotations

import pytest

from lti_tool.db import db
from lti_tool.mentoring.kpis.models import Direction, KpiTarget
from lti_tool.mentoring.kpis.targets import Standing, meets
from lti_tool.mentoring.programmes.models import ParticipantRole
from tests.mentoring.programmes.factories import World, world
from tests.session_codes import rh


@pytest.fixture
def w(app) -> World:
    return world()


def url(w: World, key: str) -> str:
    return f"/api/programmes/{w.programme.id}/kpis/targets/{key}"


def stored(w: World) -> dict[str, tuple[float | None, Direction]]:
    rows = db.session.query(KpiTarget).filter_by(programme_id=w.programme.id).all()
    return {row.kpi: (row.target, row.direction) for row in rows}


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (80.0, 80.0, Direction.AT_LEAST, Standing.MET),
        (79.9, 80.0, Direction.AT_LEAST, Standing.MISSED),
        (14.0, 14.0, Direction.AT_MOST, Standing.MET),
        (14.5, 14.0, Direction.AT_MOST, Standing.MISSED),
        (-10.0, -20.0, Direction.AT_LEAST, Standing.MET),
        (None, 5.0, Direction.AT_LEAST, Standing.NO_DATA),
        (3.0, None, Direction.AT_MOST, Standing.NO_TARGET),
    ],
)
def test_meets_the_target_by_direction(value, target, direction, expected) -> None:
    assert meets(value, target, direction) is expected


def test_the_coordinator_follows_a_figure_and_sets_its_target(client, w: World) -> None:
    headers = w.headers(w.coordinator)
    response = client.put(
        url(w, "time_to_match"), json={"target": 14, "direction": "at_most"}, headers=headers
    )
    assert response.status_code == 200, response.json
    assert stored(w) == {"time_to_match": (14.0, Direction.AT_MOST)}
    # Followed without a target, then the target changes: still one row.
    assert client.put(url(w, "nps"), json={}, headers=headers).status_code == 200
    assert (
        client.put(
            url(w, "time_to_match"), json={"target": 10, "direction": "at_most"}, headers=headers
        ).status_code
        == 200
    )
    assert stored(w) == {"time_to_match": (10.0, Direction.AT_MOST), "nps": (None, Direction.AT_LEAST)}
    row = db.session.query(KpiTarget).filter_by(kpi="time_to_match").one()
    assert row.created_by_user_id == row.updated_by_user_id == w.coordinator.id
    assert client.delete(url(w, "nps"), headers=headers).status_code == 204
    assert set(stored(w)) == {"time_to_match"}


@pytest.mark.parametrize(
    ("key", "body", "status"),
    [
        ("participation", {"target": 101}, 422),  # a percentage
        ("nps", {"target": -101}, 422),
        ("nps", {"target": -100}, 200),
        ("active_pairs", {"target": -1}, 422),
        ("active_pairs", {"target": "many"}, 422),
        ("active_pairs", {"target": 5, "direction": "around"}, 422),
        ("no_such_figure", {"target": 5}, 404),
    ],
)
def test_targets_are_validated_and_nothing_is_half_written(client, w: World, key, body, status) -> None:
    response = client.put(url(w, key), json=body, headers=w.headers(w.coordinator))
    assert response.status_code == status
    assert bool(stored(w)) == (status == 200)


def test_only_the_courses_coordinators_set_targets(client, w: World) -> None:
    mentee = w.person("Mia", ParticipantRole.MENTEE)
    assert (
        client.put(url(w, "nps"), json={"target": 30}, headers=w.headers(mentee.user_id)).status_code == 403
    )
    form = {"target": "30", "direction": "at_least"}
    page = f"/programmes/{w.programme.id}/kpis/targets/nps"
    response = client.post(page, data=form | {"ritmo_session": w.token(mentee.user_id)})
    assert response.status_code == 403
    assert stored(w) == {}


def test_the_catalogue_form_sets_a_target_with_an_italian_decimal(client, w: World) -> None:
    page = f"/programmes/{w.programme.id}/kpis/targets/meetings_per_pair"
    response = client.post(
        page, data={"target": "1,5", "direction": "at_least", "ritmo_session": w.token(w.coordinator)}
    )
    assert response.status_code == 303
    assert stored(w) == {"meetings_per_pair": (1.5, Direction.AT_LEAST)}
    html = client.get(
        f"/programmes/{w.programme.id}/kpis/catalogue", query_string={"rh": rh(w.token(w.coordinator))}
    ).get_data(as_text=True)
    assert 'id="target-meetings_per_pair" name="target" inputmode="decimal" size="8" value="1.5"' in html
    assert html.count("data-kpi-row=") == 12
