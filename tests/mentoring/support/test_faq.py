"""The programme's help page: coordinators write it in English and Italian, everyone reads it in their
language, with the other language as the fallback."""

from __future__ import annotations

from lti_tool.accounts.models import CourseRole
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token
from tests.mentoring.conversations.factories import World


def italian(world: World, user) -> dict[str, str]:
    token = issue_token(
        LaunchContext(
            platform_id=world.platform.id,
            user_id=user.id,
            course_id=world.course.id,
            role=CourseRole.PARTICIPANT,
            locale="it-IT",
        )
    )
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def add(client, world: World, **fields: str):
    return client.post("/api/support/faq", headers=world.headers(world.coordinator), json=fields)


def test_each_reader_sees_their_language_with_fallback(client, world: World) -> None:
    both = add(
        client,
        world,
        question_en="How do I meet my mentor?",
        answer_en="Propose a **meeting**.",
        question_it="Come incontro il mio mentore?",
        answer_it="Proponi un **incontro**.",
    )
    assert both.status_code == 201, both.get_json()
    only_en = add(client, world, question_en="Who sees my goals?", answer_en="Your match and coordinators.")
    assert only_en.status_code == 201

    english = client.get("/api/support/faq", headers=world.headers(world.mentee)).get_json()["entries"]
    assert [(e["question"], e["language"]) for e in english] == [
        ("How do I meet my mentor?", "en"),
        ("Who sees my goals?", "en"),
    ]
    assert english[0]["answer_html"] == "<p>Propose a <strong>meeting</strong>.</p>\n"
    in_italian = client.get("/api/support/faq", headers=italian(world, world.mentee)).get_json()["entries"]
    assert [(e["question"], e["language"]) for e in in_italian] == [
        ("Come incontro il mio mentore?", "it"),
        ("Who sees my goals?", "en"),
    ]
    page = client.get("/support", headers={**italian(world, world.mentee), "Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert "Come incontro il mio mentore?" in html
    # The FAQ comes before the "ask for help" form.
    assert html.index('id="faq"') < html.index('id="ask"')


def test_only_coordinators_edit_and_every_language_needs_its_answer(client, world: World) -> None:
    refused = client.post(
        "/api/support/faq",
        headers=world.headers(world.mentee),
        json={"question_en": "Q?", "answer_en": "A."},
    )
    assert refused.status_code == 403
    half = add(client, world, question_it="Domanda?")
    assert half.status_code == 422 and "answer_it" in half.get_json()["errors"]
    nothing = add(client, world)
    assert nothing.status_code == 422
    answer_only = add(client, world, answer_en="An answer without its question")
    assert answer_only.status_code == 422 and "question_en" in answer_only.get_json()["errors"]
    entries = client.get("/api/support/faq/entries", headers=world.headers(world.coordinator)).get_json()
    assert entries == {"entries": []}


def test_coordinators_edit_reorder_and_delete(client, world: World) -> None:
    ids = [
        add(client, world, question_en=f"Question {n}?", answer_en=f"Answer {n}.").get_json()["id"]
        for n in (1, 2, 3)
    ]
    headers = world.headers(world.coordinator)
    edited = client.patch(
        f"/api/support/faq/{ids[0]}",
        headers=headers,
        json={"question_it": "Domanda 1?", "answer_it": "Risposta 1."},
    )
    assert edited.status_code == 200
    assert edited.get_json()["question_en"] == "Question 1?"  # untouched fields stay
    assert edited.get_json()["answer_it_html"] == "<p>Risposta 1.</p>\n"

    order = client.put("/api/support/faq/order", headers=headers, json={"order": [ids[2], ids[0], ids[1]]})
    assert [e["id"] for e in order.get_json()["entries"]] == [ids[2], ids[0], ids[1]]
    assert client.put("/api/support/faq/order", headers=headers, json={"order": [ids[0]]}).status_code == 422

    token = {"ritmo_session": world.token(world.coordinator)}
    assert client.post(f"/support/faq/{ids[1]}/move", data={**token, "direction": "up"}).status_code == 303
    shown = client.get("/api/support/faq", headers=world.headers(world.mentee)).get_json()["entries"]
    assert [e["id"] for e in shown] == [ids[2], ids[1], ids[0]]

    assert client.delete(f"/api/support/faq/{ids[2]}", headers=headers).status_code == 204
    assert client.delete(f"/api/support/faq/{ids[2]}", headers=headers).status_code == 404
    shown = client.get("/api/support/faq", headers=world.headers(world.mentee)).get_json()["entries"]
    assert [e["id"] for e in shown] == [ids[1], ids[0]]


def test_a_language_is_removed_by_blanking_it(client, world: World) -> None:
    entry = add(client, world, question_en="Q?", answer_en="A.", question_it="D?", answer_it="R.").get_json()
    headers = world.headers(world.coordinator)
    cleared = client.patch(
        f"/api/support/faq/{entry['id']}", headers=headers, json={"question_it": "", "answer_it": ""}
    )
    assert cleared.status_code == 200
    assert (cleared.get_json()["question_it"], cleared.get_json()["answer_it_html"]) == ("", "")
    both_gone = client.patch(
        f"/api/support/faq/{entry['id']}", headers=headers, json={"question_en": "", "answer_en": ""}
    )
    assert both_gone.status_code == 422
    assert (
        client.get("/api/support/faq/entries", headers=headers).get_json()["entries"][0]["question_en"]
        == "Q?"
    )
