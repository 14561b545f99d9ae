"""Support exchanges about a match in its history (the requester and support only, never the partner),
and open requests on the coordinator's attention list with their actions."""

from __future__ import annotations

from datetime import timedelta

from lti_tool.db import utcnow
from lti_tool.mentoring.attention import registry
from tests.mentoring.conversations.factories import World
from tests.mentoring.support.conftest import ask


def support_entries(client, world: World, user, **query) -> list[dict]:
    response = client.get(
        f"/api/matches/{world.match.id}/history", headers=world.headers(user), query_string=query
    )
    assert response.status_code == 200, response.get_json()
    return [e for e in response.get_json()["entries"] if e["kind"] == "support"]


def test_exchanges_join_the_match_history_for_the_requester_and_support_only(client, world: World) -> None:
    request_id = ask(client, world, match_id=world.match.id, body="My mentor has not answered").get_json()[
        "id"
    ]
    client.post(
        f"/api/support/requests/{request_id}/messages",
        headers=world.headers(world.coordinator),
        json={"body": "I will write to them."},
    )
    # A request about nothing in particular stays out of the match's history.
    ask(client, world, subject="Password", body="How do I log in?")

    mine = support_entries(client, world, world.mentee)
    assert [e["text"] for e in mine] == ["I will write to them.", "My mentor has not answered"]
    assert mine[0]["link"] == f"/support/requests/{request_id}"
    assert mine[0]["data"]["from_support"] is True
    assert [e["text"] for e in support_entries(client, world, world.coordinator)] == [e["text"] for e in mine]
    assert support_entries(client, world, world.mentor) == []
    # Filters: kind and search.
    assert len(support_entries(client, world, world.mentee, kind="support", q="mentor has")) == 1

    exported = client.get(
        f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.mentor)
    ).get_json()
    assert [e for e in exported["entries"] if e["kind"] == "support"] == []
    as_requester = client.get(
        f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.mentee)
    ).get_json()
    assert len([e for e in as_requester["entries"] if e["kind"] == "support"]) == 2


def test_open_requests_are_on_the_attention_list_with_their_actions(client, world: World) -> None:
    request_id = ask(client, world, match_id=world.match.id).get_json()["id"]
    source = registry.source("support_requests")
    assert source is not None
    [item] = source.items(world.programme, utcnow())
    assert (item.key, item.title, item.severity, item.match_id) == (
        f"request:{request_id}",
        "Cannot find the goals page",
        1,
        world.match.id,
    )
    assert item.reason == "Ben Mentee0 is waiting for an answer. Nobody has taken it yet."
    assert [(a.name, a.url) for a in item.actions] == [
        ("assign", None),
        ("answer", f"/support/requests/{request_id}"),
        ("close", None),
    ]
    [late] = source.items(world.programme, utcnow() + timedelta(days=3))
    assert late.severity == 2

    base = f"/api/programmes/{world.programme.id}/attention/support_requests/request:{request_id}"
    taken = client.post(f"{base}/assign", headers=world.headers(world.coordinator), json={})
    assert taken.status_code == 200, taken.get_json()
    assert "is yours now" in taken.get_json()["result"]
    [item] = source.items(world.programme, utcnow())
    assert item.reason.endswith("Assigned to Cora Coordinator.")
    assert client.post(f"{base}/close", headers=world.headers(world.coordinator), json={}).status_code == 200
    assert source.items(world.programme, utcnow()) == []
    assert client.post(f"{base}/close", headers=world.headers(world.coordinator), json={}).status_code == 409
