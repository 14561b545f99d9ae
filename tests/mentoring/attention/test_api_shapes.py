"""The attention API answers exactly what its schemas (and so the API document) declare."""

from __future__ import annotations

import pytest

from lti_tool.mentoring.attention import schemas
from tests.mentoring.attention.conftest import TEST_SOURCE, Pairs
from tests.mentoring.programmes.factories import World, world
from tests.schema_check import conforms


@pytest.fixture
def w(app) -> World:
    return world()


def test_the_list_and_an_action_match_their_schemas(client, w: World, pairs: Pairs) -> None:
    pairs.add("p1", severity=2, days=3)
    api = f"/api/programmes/{w.programme.id}/attention"
    listed = client.get(api, headers=w.headers(w.coordinator)).json
    conforms(schemas.AttentionListOut, listed)
    [item] = listed["items"]
    assert item["match_id"] is None and item["link"] == "/pairs/p1"
    assert [(a["name"], a["url"]) for a in item["actions"]] == [("end", None), ("message", "/pairs/p1/write")]
    acted = client.post(f"{api}/{TEST_SOURCE}/p1/end", headers=w.headers(w.coordinator), json={"note": "ok"})
    assert acted.status_code == 200
    conforms(schemas.AttentionActedOut, acted.json)
    assert acted.json["result"] == "Pair p1 ended."
