"""The KPI API answers exactly what its schemas (and so the API document) declare, and the
dashboard's schema names every figure the features register."""

from __future__ import annotations

import pytest
from flask import Flask

from lti_tool.mentoring.kpis import schemas
from lti_tool.mentoring.kpis.figures import registered
from tests.mentoring.kpis.factories import KpiWorld, build
from tests.schema_check import conforms


@pytest.fixture
def kw(app) -> KpiWorld:
    return build()


def test_every_registered_figure_is_in_the_dashboards_schema(app: Flask) -> None:
    # A figure missing from the schema would silently vanish from the JSON the schema dumps.
    assert set(registered(app)) <= set(schemas.KpiDashboardOut().fields)


def test_the_dashboard_and_a_target_match_their_schemas(client, kw: KpiWorld) -> None:
    headers = kw.world.headers(kw.world.coordinator)
    base = f"/api/programmes/{kw.world.programme.id}/kpis"
    followed = client.put(f"{base}/targets/participation", headers=headers, json={"target": 80})
    assert followed.status_code == 200
    conforms(schemas.KpiTargetOut, followed.json)
    assert followed.json == {"kpi": "participation", "target": 80.0, "direction": "at_least"}
    dashboard = client.get(base, headers=headers).json
    conforms(schemas.KpiDashboardOut, dashboard)
    assert dashboard["mentees"] == {"matched": 5, "unmatched": 3}
    assert len(dashboard["activity"]["weeks"]) == 4
    [entry] = dashboard["targets"]
    assert (entry["kpi"], entry["unit"], entry["target"]) == ("participation", "percent", 80.0)
    assert client.delete(f"{base}/targets/participation", headers=headers).status_code == 204
    assert client.get(base, headers=headers).json["targets"] == []
