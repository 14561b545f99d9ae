"""Support's API answers what its operations declare; an assignee that is no id is refused, not a 500."""

from __future__ import annotations

import pytest

from tests.mentoring.conversations.contract import call
from tests.mentoring.conversations.factories import World
from tests.mentoring.support.conftest import ask

LINK = "https://example.org"


def test_a_request_and_the_help_page_answer_as_declared(client, world: World) -> None:
    mentee, coordinator = world.headers(world.mentee), world.headers(world.coordinator)
    opened = call(
        client,
        "POST",
        "/api/support/requests",
        headers=mentee,
        json={
            "subject": "Help",
            "body": "Where?",
            "links": [{"url": "https://example.org"}],
            "match_id": None,
        },
    ).get_json()
    assert [m["links"] for m in opened["messages"]] == [
        [{"url": "https://example.org", "title": "example.org"}]
    ]
    base = f"/api/support/requests/{opened['id']}"
    assert len(call(client, "GET", "/api/support/requests", headers=mentee).get_json()["requests"]) == 1
    call(client, "GET", base, headers=coordinator)
    call(client, "POST", f"{base}/messages", headers=coordinator, json={"body": "Here."})
    call(client, "POST", f"{base}/assign", headers=coordinator, json={"assignee": "me"})
    call(client, "POST", f"{base}/assign", headers=coordinator)
    call(client, "GET", "/api/support/queue?status=answered", headers=coordinator)
    closed = call(client, "POST", f"{base}/close", headers=mentee).get_json()
    assert closed["status"] == "closed" and closed["closed_at"]

    entry = call(
        client, "POST", "/api/support/faq", headers=coordinator, json={"question_en": "Q?", "answer_en": "A."}
    ).get_json()
    other = call(
        client, "POST", "/api/support/faq", headers=coordinator, json={"question_it": "D?", "answer_it": "R."}
    ).get_json()
    call(client, "PATCH", f"/api/support/faq/{entry['id']}", headers=coordinator, json={"answer_en": "B."})
    call(
        client,
        "PUT",
        "/api/support/faq/order",
        headers=coordinator,
        json={"order": [other["id"], entry["id"]]},
    )
    call(client, "GET", "/api/support/faq/entries", headers=coordinator)
    shown = call(client, "GET", "/api/support/faq", headers=mentee).get_json()["entries"]
    assert [e["language"] for e in shown] == ["it", "en"]
    assert call(client, "DELETE", f"/api/support/faq/{entry['id']}", headers=coordinator).status_code == 204


@pytest.mark.parametrize("assignee", ["²", "٣", "99999999999999999999", "-1"])
def test_an_assignee_that_is_no_id_is_422(client, world: World, assignee: str) -> None:
    request_id = ask(client, world).get_json()["id"]
    response = client.post(
        f"/api/support/requests/{request_id}/assign",
        headers=world.headers(world.coordinator),
        json={"assignee": assignee},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/support/requests", {"subject": "a\x00", "body": "b"}, "subject"),
        ("/api/support/requests", {"subject": "a", "body": "b\x00"}, "body"),
        ("/api/support/faq", {"question_en": "Q\x00?", "answer_en": "A"}, "question_en"),
    ],
)
def test_text_with_a_nul_character_is_422_naming_the_field(
    client, world: World, path: str, payload: dict, field: str
) -> None:
    response = client.post(path, headers=world.headers(world.coordinator), json=payload)
    assert response.status_code == 422 and field in response.get_json()["errors"]
