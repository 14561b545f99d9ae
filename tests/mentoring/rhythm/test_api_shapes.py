"""The rhythm API answers exactly what its schemas (and so the API document) declare."""

from __future__ import annotations

from lti_tool.mentoring.rhythm import schemas
from tests.mentoring.conversations.factories import World
from tests.mentoring.rhythm.test_pages import _quiet_for
from tests.schema_check import conforms


def test_the_overview_cadence_and_pair_answers_match_their_schemas(client, world: World) -> None:
    _quiet_for(world, client, 5.5)
    coordinator = world.headers(world.coordinator)
    overview = client.get(f"/api/programmes/{world.programme.id}/rhythm", headers=coordinator)
    conforms(schemas.RhythmOverviewOut, overview.get_json())
    assert overview.get_json()["counts"]["quiet"] == 1
    cadence = client.get(f"/api/programmes/{world.programme.id}/rhythm/cadence", headers=coordinator)
    conforms(schemas.RhythmCadenceOut, cadence.get_json())
    pair = client.get(f"/api/matches/{world.match.id}/rhythm", headers=coordinator).get_json()
    conforms(schemas.RhythmPairViewOut, pair)
    assert pair["health"]["state"] == "quiet" and "unanswered" in pair["health"]["codes"]
    saved = client.put(
        f"/api/programmes/{world.programme.id}/rhythm/cadence",
        headers=coordinator,
        json={
            "meet_every_days": 10,
            "write_every_days": 4,
            "phases": {"start": {"meet_every_days": 7, "write_every_days": 2}},
        },
    )
    conforms(schemas.RhythmCadenceOut, saved.get_json())
    assert saved.get_json()["phases"] == {"start": {"meet_every_days": 7, "write_every_days": 2}}
    member = client.get(f"/api/matches/{world.match.id}/rhythm", headers=world.headers(world.mentee))
    conforms(schemas.RhythmPairViewOut, member.get_json())
