"""Who may open the dashboard, and the page showing the figures the API returns."""

from __future__ import annotations

import re

import pytest

from lti_tool.accounts.models import CourseRole
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from tests.mentoring.kpis.factories import KpiWorld, build
from tests.session_codes import rh


@pytest.fixture
def kw(app) -> KpiWorld:
    return build()


def api(kw: KpiWorld) -> str:
    return f"/api/programmes/{kw.world.programme.id}/kpis"


def page(kw: KpiWorld) -> str:
    return f"/programmes/{kw.world.programme.id}/kpis"


def test_the_coordinator_reads_the_figures(client, kw: KpiWorld) -> None:
    response = client.get(api(kw), headers=kw.world.headers(kw.world.coordinator))
    assert response.status_code == 200
    assert response.json["mentees"] == {"matched": 5, "unmatched": 3}
    assert response.json["generated_at"].endswith("+00:00")


def test_learners_may_not_look(client, kw: KpiWorld) -> None:
    headers = kw.world.headers(kw.mentee.user_id)
    assert client.get(api(kw), headers=headers).status_code == 403
    assert client.get(page(kw), query_string={"rh": rh(kw.world.token(kw.mentee.user_id))}).status_code == 403


def test_another_courses_coordinator_finds_nothing(client, kw: KpiWorld) -> None:
    token = issue_token(
        LaunchContext(
            platform_id=kw.world.platform.id,
            user_id=kw.world.coordinator.id,
            course_id=kw.other_course.id,
            role=CourseRole.COORDINATOR,
        )
    )
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert client.get(api(kw), headers=headers).status_code == 404
    assert client.get(f"/api/programmes/{kw.other_programme.id}/kpis", headers=headers).status_code == 200


def test_no_session_no_figures(client, kw: KpiWorld) -> None:
    assert client.get(api(kw), headers={"Accept": "application/json"}).status_code == 401


def test_the_page_shows_each_figure_where_the_script_updates_it(client, kw: KpiWorld) -> None:
    response = client.get(page(kw), query_string={"rh": rh(kw.world.token(kw.world.coordinator))})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = dict(re.findall(r'data-kpi="([^"]+)"[^>]*>([^<]*)<', html))
    assert shown["mentees.matched"] == "5"
    assert shown["mentees.unmatched"] == "3"
    assert shown["participants.by_role.mentee.withdrawn"] == "1"
    # (The page counts as of its own "now", a moment after the world's: no figures on window edges.)
    assert shown["matches.by_status.active"] == "3"
    assert shown["matches.completed"] == "1"
    assert shown["matches.ended_by_reason.withdrawn"] == "1"
    assert shown["activity.weeks.0.chat_messages"] == "1"
    assert shown["meetings.upcoming"] == "1"
    assert shown["gradebook.waiting"] == "2"
    assert shown["webinars.attended"] == "1"
    assert 'src="/static/kpis.js"' in html
    assert f'data-source="/api/programmes/{kw.world.programme.id}/kpis"' in html


def test_every_figure_on_the_page_is_one_the_api_returns(client, kw: KpiWorld) -> None:
    # The script finds each value by its data-kpi name in the flattened JSON: a typo would freeze it.
    data = client.get(api(kw), headers=kw.world.headers(kw.world.coordinator)).json
    flat: dict[str, object] = {}

    def walk(value: object, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else key)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                walk(item, f"{prefix}.{n}")
        else:
            flat[prefix] = value

    walk(data, "")
    token = kw.world.token(kw.world.coordinator)
    html = client.get(page(kw), query_string={"rh": rh(token)}).get_data(as_text=True)
    names = set(re.findall(r'data-kpi="([^"]+)"', html))
    assert len(names) > 30
    assert names <= set(flat), names - set(flat)
