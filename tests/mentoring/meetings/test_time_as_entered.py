"""A meeting's times read back as entered to whoever proposed them, and in each other member's zone;
every time with the same label (issue 19, item 4)."""

from __future__ import annotations

import re

from lti_tool.db import db
from tests.mentoring.conversations.factories import World
from tests.session_codes import rh


def _text(client, world: World, user, path: str, language: str = "en") -> str:
    response = client.get(
        path, query_string={"rh": rh(world.token(user))}, headers={"Accept-Language": language}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_the_proposer_reads_the_times_they_entered(client, world: World) -> None:
    world.mentor.timezone = "Asia/Tokyo"  # Marta lives in Tokyo, but proposes Rome times
    db.session.commit()
    proposed = client.post(
        f"/api/matches/{world.match.id}/meetings",
        headers=world.headers(world.mentor),
        json={"title": "First meeting", "times": ["2027-03-27T09:00"], "timezone": "Europe/Rome"},
    )
    assert proposed.status_code == 201, proposed.get_json()
    path = f"/meetings/{proposed.get_json()['id']}"

    assert "Mar 27, 2027, 09:00 (Europe/Rome)" in _text(client, world, world.mentor, path)
    assert "27 mar 2027, 09:00 (Europe/Rome)" in _text(client, world, world.mentor, path, "it")
    # Ben reads the same moment in New York (already on summer time), with the same label.
    ben = _text(client, world, world.mentee, path)
    assert "Mar 27, 2027, 04:00 (America/New_York)" in ben
    assert "Europe/Rome" not in ben and "Times are shown in" not in ben
