"""The attachments API answers what its operations declare."""

from __future__ import annotations

import io

import pytest

from tests.mentoring.attachments.test_attachments import PDF, first_post
from tests.mentoring.conversations.contract import call, declared
from tests.mentoring.conversations.factories import World, make_world


@pytest.fixture
def world(app) -> World:
    return make_world()


def test_attaching_and_removing_answer_as_declared(app, client, world: World) -> None:
    post_id = first_post(client, world)
    path = f"/api/posts/{post_id}/attachments"
    assert declared(app, "POST", path).body_kind == "multipart"
    made = call(
        client,
        "POST",
        path,
        headers=world.headers(world.mentor),
        data={"file": (io.BytesIO(PDF), "plan.pdf")},
        content_type="multipart/form-data",
    ).get_json()
    assert made["url"] == f"/attachments/{made['id']}"
    removed = call(client, "DELETE", f"/api/attachments/{made['id']}", headers=world.headers(world.mentor))
    assert removed.status_code == 204
