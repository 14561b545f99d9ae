"""E-mails sent about a match join its history, for the person they were sent to only."""

from __future__ import annotations

from lti_tool.db import db
from lti_tool.jobs.runner import drain
from lti_tool.notifications import service
from lti_tool.notifications.models import EmailMode
from tests.mentoring.conversations.factories import Mailbox, World, make_world


def _titles(client, world: World, user, **params: str) -> list[str]:
    response = client.get(
        f"/api/matches/{world.match.id}/history", headers=world.headers(user), query_string=params
    )
    assert response.status_code == 200, response.get_json()
    return [e["title"] for e in response.get_json()["entries"] if e["kind"] == "email"]


def test_the_recipient_sees_the_e_mail_in_the_match_history(client, world: World, mailbox: Mailbox) -> None:
    service.notify(world.mentee.id, "nudge", "Time to meet", "Propose a meeting.", match_id=world.match.id)
    service.notify(world.mentor.id, "nudge", "Your mentee waits", "Answer Ben.", match_id=world.match.id)
    service.notify(world.mentee.id, "post", "Unrelated", "No match named.")
    db.session.commit()
    drain()
    assert _titles(client, world, world.mentee) == ["E-mail sent to you: Time to meet"]
    assert _titles(client, world, world.mentor) == ["E-mail sent to you: Your mentee waits"]
    assert _titles(client, world, world.coordinator) == []  # nobody reads another person's mail
    assert _titles(client, world, world.mentee, kind="email", q="meet") == [
        "E-mail sent to you: Time to meet"
    ]
    export = client.get(
        f"/api/matches/{world.match.id}/history/export.json", headers=world.headers(world.mentee)
    )
    assert any(e["kind"] == "email" for e in export.get_json()["entries"])


def test_only_e_mails_that_went_out_count(client, app, mailbox: Mailbox) -> None:
    world = make_world()
    service.set_email_mode(world.mentee.id, EmailMode.OFF)
    service.notify(world.mentee.id, "nudge", "In the app only", "text", match_id=world.match.id)
    service.set_email_mode(world.mentor.id, EmailMode.DIGEST)
    service.notify(world.mentor.id, "nudge", "Waits for the digest", "text", match_id=world.match.id)
    db.session.commit()
    assert _titles(client, world, world.mentee) == [] and _titles(client, world, world.mentor) == []
    service.send_digests()
    db.session.commit()
    assert _titles(client, world, world.mentor) == ["E-mail sent to you: Waits for the digest"]


def test_a_proposed_meeting_e_mail_is_in_the_recipients_history(
    client, world: World, mailbox: Mailbox
) -> None:
    proposed = client.post(
        f"/api/matches/{world.match.id}/meetings",
        headers=world.headers(world.mentor),
        json={"title": "First meeting", "times": ["2027-03-27T09:00"], "timezone": "Europe/Rome"},
    )
    assert proposed.status_code == 201, proposed.get_json()
    drain()
    assert mailbox.to("ben0@example.org")
    [title] = _titles(client, world, world.mentee)
    assert title.startswith("E-mail sent to you: ") and "First meeting" in title
    assert _titles(client, world, world.mentor) == []  # the proposer was not e-mailed
