"""Support and a person's data: export shows their requests; erasure deletes the requests they asked
and blanks what they wrote as support in others' requests, which stay."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lti_tool.accounts import privacy
from lti_tool.db import db
from lti_tool.mentoring.support.models import SupportMessage, SupportRequest, SupportStaff
from tests.mentoring.conversations.factories import World
from tests.mentoring.support.conftest import ask


def test_export_and_erasure_of_support_requests(client, world: World) -> None:
    db.session.add(SupportStaff(programme_id=world.programme.id, user_id=world.outsider.id))
    db.session.commit()
    bens = ask(client, world, subject="Ben's visa worries", body="Ben's private question").get_json()["id"]
    martas = ask(client, world, world.mentor, subject="Marta's question", body="Marta asks").get_json()["id"]
    answer = client.post(
        f"/api/support/requests/{martas}/messages",
        headers=world.headers(world.outsider),
        json={"body": "Olga's answer", "links": [{"url": "https://docs.example/olga"}]},
    )
    assert answer.status_code == 201

    exported = json.dumps(privacy.export(world.mentee.id))
    assert "Ben's visa worries" in exported and "Ben's private question" in exported
    assert "Marta asks" not in exported

    privacy.erase(world.mentee.id, actor_user_id=world.coordinator.id)
    privacy.erase(world.outsider.id, actor_user_id=world.coordinator.id)
    db.session.expire_all()
    assert db.session.get(SupportRequest, bens) is None
    kept = db.session.get_one(SupportRequest, martas)
    assert [(m.body, m.links) for m in kept.messages] == [("Marta asks", []), ("", [])]
    assert (
        db.session.execute(sa.select(SupportMessage.body_html).where(SupportMessage.body == "")).scalar()
        == ""
    )
    assert db.session.execute(sa.select(SupportStaff)).scalars().all() == []
