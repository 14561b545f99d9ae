"""The support pages in the frame: forms post with the session field and redirect back signed in."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.support.models import SupportRequest
from tests.mentoring.conversations.factories import World


def form(world: World, user, **fields: object) -> dict[str, object]:
    return {"ritmo_session": world.token(user), **fields}


def request_id_from(response) -> int:
    found = re.search(r"/support/requests/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def test_ask_answer_follow_and_close_through_the_pages(client, world: World) -> None:
    page = client.post("/support", data=form(world, world.mentee)).get_data(as_text=True)
    assert 'id="ask-form"' in page and f'value="{world.match.id}"' in page  # a choice of own match
    assert "My match with Marta Rossi" in page

    opened = client.post(
        "/support/requests",
        data=form(
            world,
            world.mentee,
            subject="Stuck",
            body="Help *please*",
            links="https://docs.example/a\n\nhttps://docs.example/b",
            match_id="",
        ),
    )
    assert opened.status_code == 303
    request_id = request_id_from(opened)
    thread = client.post(f"/support/requests/{request_id}", data=form(world, world.mentee)).get_data(
        as_text=True
    )
    assert "<em>please</em>" in thread and 'href="https://docs.example/b"' in thread
    assert 'id="assignment"' not in thread  # the requester does not assign

    coordinator_view = client.post(f"/support/requests/{request_id}", data=form(world, world.coordinator))
    assert 'id="assignment"' in coordinator_view.get_data(as_text=True)
    queue = client.post("/support/queue", data=form(world, world.coordinator)).get_data(as_text=True)
    assert f'data-request="{request_id}"' in queue
    assert client.post("/support/queue", data=form(world, world.mentee)).status_code == 404

    assert (
        client.post(
            f"/support/requests/{request_id}/assign", data=form(world, world.coordinator, assignee="me")
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/support/requests/{request_id}/reply", data=form(world, world.coordinator, body="Try this.")
        ).status_code
        == 303
    )
    mine = client.post("/support", data=form(world, world.mentee)).get_data(as_text=True)
    assert 'data-status="answered"' in mine
    assert (
        client.post(f"/support/requests/{request_id}/close", data=form(world, world.mentee)).status_code
        == 303
    )
    closed = client.post(f"/support/requests/{request_id}", data=form(world, world.mentee)).get_data(
        as_text=True
    )
    assert 'data-status="closed"' in closed and 'id="close-request"' not in closed

    bad = client.post(
        "/support/requests", data=form(world, world.mentee, subject="x", body="y", links="ftp://x")
    )
    assert bad.status_code == 422


def test_the_programme_home_links_to_help(client, world: World) -> None:
    home = client.post("/programme", data=form(world, world.mentee))
    assert home.status_code == 200
    assert 'id="open-help"' in home.get_data(as_text=True)


def test_coordinators_keep_the_help_page_from_the_manage_page(client, world: World) -> None:
    assert client.post("/support/manage", data=form(world, world.mentee)).status_code == 403
    created = client.post(
        "/support/faq",
        data=form(
            world,
            world.coordinator,
            question_en="When do we start?",
            answer_en="In **May**.",
            question_it="",
            answer_it="",
        ),
    )
    assert created.status_code == 303
    manage = client.post("/support/manage", data=form(world, world.coordinator)).get_data(as_text=True)
    entry_id = int(re.search(r'id="faq-(\d+)"', manage).group(1))
    assert (
        client.post(
            f"/support/faq/{entry_id}",
            data=form(
                world,
                world.coordinator,
                question_en="When do we start?",
                answer_en="In June.",
                question_it="Quando iniziamo?",
                answer_it="A giugno.",
            ),
        ).status_code
        == 303
    )
    help_page = client.post("/support", data=form(world, world.mentee)).get_data(as_text=True)
    assert "In June." in help_page
    assert (
        client.post(f"/support/faq/{entry_id}/delete", data=form(world, world.coordinator)).status_code == 303
    )
    assert "When do we start?" not in client.post("/support", data=form(world, world.mentee)).get_data(
        as_text=True
    )


def test_a_refused_request_says_what_to_correct_and_offers_the_way_back(client, world: World) -> None:
    refused = client.post(
        "/support/requests",
        data=form(world, world.mentee, subject="Stuck", body="Help", links="www.example.com", match_id=""),
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    # The page names what is wrong (not only "invalid input"), without the API's field names,
    # and offers the form again as typed (the browser's history keeps it).
    said = page.split('<ul class="errors">')[1].split("</ul>")[0]
    assert "<li>" in said and "links" not in said
    assert "data-back" in page and "Back to the form" in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(SupportRequest)).scalar_one() == 0
