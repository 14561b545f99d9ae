"""A programme with matches, and helpers that build and answer surveys through the HTTP API, as a
coordinator and participants do."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from lti_tool.mentoring.programmes.models import Participant
from tests.grades.factory import World, bearer

LIKERT = {
    "type": "likert",
    "text_en": "My mentor listens to me.",
    "text_it": "Il mio mentore mi ascolta.",
    "scale": {
        "points": 5,
        "min_label_en": "Disagree",
        "max_label_en": "Agree",
        "min_label_it": "In disaccordo",
    },
}
COMMENT = {
    "type": "long_text",
    "text_en": "Anything to add?",
    "text_it": "Altro da aggiungere?",
    "required": False,
}


def api(world: World) -> str:
    return f"/api/programmes/{world.programme.id}/surveys"


def pages(world: World) -> str:
    return f"/programmes/{world.programme.id}/surveys"


def make_survey(client: FlaskClient, world: World, *items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A survey with ``items``, made through the coordinator's API."""
    made = client.post(
        api(world),
        json={"title_en": "Check-in", "title_it": "Verifica", **fields},
        headers=bearer(world.coord),
    )
    assert made.status_code == 201, made.get_json()
    survey = made.get_json()
    for item in items:
        added = client.post(f"{api(world)}/{survey['id']}/items", json=item, headers=bearer(world.coord))
        assert added.status_code == 201, added.get_json()
    return client.get(f"{api(world)}/{survey['id']}", headers=bearer(world.coord)).get_json()


def open_now(client: FlaskClient, world: World, survey_id: int) -> int:
    opened = client.post(f"{api(world)}/{survey_id}/open", headers=bearer(world.coord))
    assert opened.status_code == 200, opened.get_json()
    return int(opened.get_json()["invited"])


def answer(
    client: FlaskClient,
    world: World,
    who: Participant,
    survey_id: int,
    answers: dict[Any, Any],
    share_text: bool = False,
    invitation: int | None = None,
):
    query = f"?invitation={invitation}" if invitation else ""
    return client.post(
        f"/api/surveys/{survey_id}/answer{query}",
        headers=bearer(world.ctx(who)),
        json={"answers": {str(k): v for k, v in answers.items()}, "share_text": share_text},
    )
