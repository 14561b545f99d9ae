"""Notifications: in-app rows, e-mail over real SMTP, preferences, digests, one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.db import db, utcnow
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.runner import drain
from lti_tool.notifications import service
from lti_tool.notifications.models import EmailMode, EmailState, Notification
from tests.mentoring.conversations.factories import Mailbox, World, free_port, make_world
from tests.session_codes import rh


def test_notify_sends_mail_with_text_html_and_unsubscribe_headers(
    app, world: World, mailbox: Mailbox
) -> None:
    service.notify(
        world.mentee.id,
        "match",
        "You have a mentor",
        "Marta Rossi will mentor you.",
        html="<p>Marta <strong>Rossi</strong> will mentor you.</p>",
        link="/matches/1/space",
    )
    db.session.commit()
    assert drain() == 1
    [message] = mailbox.messages
    assert message["To"] == "ben0@example.org" and message["Subject"] == "You have a mentor"
    assert message["From"] == "Ritmo <ritmo@example.org>"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(
        "<http://127.0.0.1:5000/notifications/unsubscribe/"
    ) and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Marta Rossi will mentor you." in text and "http://127.0.0.1:5000/matches/1/space" in text
    assert "<strong>Rossi</strong>" in html and 'href="http://127.0.0.1:5000/matches/1/space"' in html
    row = db.session.execute(sa.select(Notification)).scalar_one()
    assert row.email_state is EmailState.QUEUED and row.read_at is None


def test_plain_text_is_escaped_in_the_html_part(app, world: World, mailbox: Mailbox) -> None:
    service.notify(world.mentee.id, "post", "Hi", "<script>alert(1)</script>")
    db.session.commit()
    drain()
    html = mailbox.messages[0].get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_people_without_address_get_in_app_notifications_only(app, mailbox: Mailbox) -> None:
    world = make_world(emails=False)
    service.notify(world.mentee.id, "match", "You have a mentor", "text")
    db.session.commit()
    drain()
    assert mailbox.messages == []
    row = db.session.execute(sa.select(Notification)).scalar_one()
    assert row.email_state is EmailState.SKIPPED


def test_off_means_no_mail(app, world: World, mailbox: Mailbox) -> None:
    service.set_email_mode(world.mentee.id, EmailMode.OFF)
    service.notify(world.mentee.id, "post", "Hi", "text")
    db.session.commit()
    drain()
    assert mailbox.messages == []


def test_daily_digest_collects_everything_in_one_mail(app, world: World, mailbox: Mailbox) -> None:
    from lti_tool import ics

    service.set_email_mode(world.mentee.id, EmailMode.DIGEST)
    starts_at = utcnow() + timedelta(days=2)
    event = ics.Event(
        uid="u@ritmo",
        sequence=0,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        summary="Call",
        location="https://meet.jit.si/x",
        organizer=ics.Person("marta@example.org", "Marta"),
    )
    invite = ics.calendar(event, method=ics.Method.REQUEST, stamp=utcnow())
    service.notify(world.mentee.id, "post", "New reply", "first")
    service.notify(world.mentee.id, "meeting", "Meeting confirmed", "second", ics=invite)
    db.session.commit()
    assert drain() == 0  # nothing is due before the digest hour
    digest_jobs = db.session.execute(sa.select(Job).where(Job.task == service.DIGEST_TASK)).scalars().all()
    assert len(digest_jobs) == 1 and digest_jobs[0].run_at > utcnow()
    digest_jobs[0].run_at = utcnow()
    db.session.commit()
    assert drain() >= 1
    [message] = mailbox.messages
    assert message["Subject"] == "Ritmo: 2 updates"
    text = message.get_body(("plain",)).get_content()
    assert "New reply" in text and "Meeting confirmed" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert any(p.get_content_type() == "text/calendar" for p in message.iter_attachments())
    states = set(db.session.execute(sa.select(Notification.email_state)).scalars())
    assert states == {EmailState.DIGESTED}
    # Nothing is sent twice.
    assert service.send_digests() == 0


def test_one_click_unsubscribe(client, world: World, mailbox: Mailbox) -> None:
    service.notify(world.mentee.id, "post", "Hi", "text")
    db.session.commit()
    drain()
    url = mailbox.messages[0]["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:5000", "")
    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert service.email_mode(world.mentee.id) is EmailMode.IMMEDIATE  # a GET (link scanner) changes nothing
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert service.email_mode(world.mentee.id) is EmailMode.OFF
    assert client.get(url[:-3] + "abc").status_code == 404
    assert client.post("/notifications/unsubscribe/forged-token").status_code == 404
    mailbox.clear()
    service.notify(world.mentee.id, "post", "Again", "text")
    db.session.commit()
    drain()
    assert mailbox.messages == []


def test_preferences_api_and_page(client, world: World) -> None:
    h = world.headers(world.mentee)
    assert client.get("/api/notifications/preferences", headers=h).get_json()["email"] == "immediate"
    assert client.put("/api/notifications/preferences", headers=h, json={"email": "digest"}).get_json() == {
        "email": "digest",
        "quiet_hours": None,
    }
    assert (
        client.put("/api/notifications/preferences", headers=h, json={"email": "hourly"}).status_code == 422
    )
    assert service.email_mode(world.mentee.id) is EmailMode.DIGEST
    token = world.token(world.mentee)
    page = client.post("/notifications/preferences", data={"ritmo_session": token, "email": "off"})
    assert page.status_code == 303
    assert service.email_mode(world.mentee.id) is EmailMode.OFF
    assert client.get(f"/notifications/preferences?rh={rh(token)}").status_code == 200
    assert client.get("/api/notifications/preferences").status_code == 401


def test_in_app_list_unread_and_mark_read(client, world: World) -> None:
    for i in range(3):
        service.notify(world.mentee.id, "post", f"n{i}", "t", link=f"/threads/{i}")
    service.notify(world.mentor.id, "post", "not yours", "t")
    db.session.commit()
    h = world.headers(world.mentee)
    body = client.get("/api/notifications", headers=h).get_json()
    assert [n["subject"] for n in body["notifications"]] == ["n2", "n1", "n0"] and body["unread"] == 3
    mentor_note = db.session.execute(
        sa.select(Notification.id).where(Notification.subject == "not yours")
    ).scalar_one()
    ids = [body["notifications"][0]["id"], mentor_note]
    assert client.post("/api/notifications/read", headers=h, json={"ids": ids}).get_json() == {"marked": 1}
    assert db.session.get(Notification, mentor_note).read_at is None  # someone else's stays unread
    assert client.get("/api/notifications", headers=h).get_json()["unread"] == 2
    page = client.post(
        "/notifications", data={"ritmo_session": world.token(world.mentee), "action": "read-all"}
    )
    assert page.status_code == 200 and "n0" in page.get_data(as_text=True)
    assert client.get("/api/notifications", headers=h).get_json()["unread"] == 0


def test_smtp_outage_is_retried_until_delivered(app, world: World, mailbox: Mailbox, smtp) -> None:
    good_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    service.notify(world.mentee.id, "post", "Retry me", "text")
    db.session.commit()
    drain()
    job = db.session.execute(sa.select(Job).where(Job.task == "mail.send")).scalar_one()
    assert job.state is JobState.QUEUED and job.attempts == 1 and job.last_error
    assert mailbox.messages == []
    app.config["SMTP_PORT"] = good_port
    job.run_at = utcnow()
    db.session.commit()
    drain()
    assert [m["Subject"] for m in mailbox.messages] == ["Retry me"]
    assert db.session.get(Job, job.id).state is JobState.DONE


def test_new_posts_and_matches_reach_members_by_mail(client, world: World, mailbox: Mailbox) -> None:
    client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=world.headers(world.mentor),
        json={"title": "Welcome", "body": "Hello **Ben**"},
    )
    drain()
    [message] = mailbox.to("ben0@example.org")
    assert message["Subject"] == "Marta Rossi started “Welcome”"
    assert "<strong>Ben</strong>" in message.get_body(("html",)).get_content()
    assert not mailbox.to("cora@example.org") and not mailbox.to("olga@example.org")


def test_each_recipient_is_written_to_in_their_own_language(client, world: World, mailbox: Mailbox) -> None:
    # Ben reads Italian; Marta, who posts, and her request speak English.
    world.mentee.locale = "it-IT"
    db.session.commit()
    response = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=world.headers(world.mentor),
        json={"title": "Welcome", "body": "Hello"},
    )
    assert response.status_code == 201
    drain()
    [message] = mailbox.to("ben0@example.org")
    assert message["Subject"] == "Marta Rossi ha avviato “Welcome”"
    text = message.get_body(("plain",)).get_content()
    assert "Apri in Ritmo:" in text and "Stop all e-mail" not in text
    row = db.session.execute(
        sa.select(Notification).where(Notification.user_id == world.mentee.id)
    ).scalar_one()
    assert row.subject == "Marta Rossi ha avviato “Welcome”"
    # The poster's own next page is still in English: the recipient's language did not stick.
    page = client.get("/notifications", headers={**world.headers(world.mentor), "Accept": "text/html"})
    assert "Notifications" in page.get_data(as_text=True)


def test_a_digest_is_written_in_its_recipients_language(app, world: World, mailbox: Mailbox) -> None:
    world.mentee.locale = "it"
    service.set_email_mode(world.mentee.id, EmailMode.DIGEST)
    db.session.commit()
    service.notify(world.mentee.id, "post", "Uno", "primo")
    service.notify(world.mentee.id, "post", "Due", "secondo")
    db.session.commit()
    assert service.send_digests() == 1
    db.session.commit()
    drain()
    [message] = mailbox.messages
    assert message["Subject"] == "Ritmo: 2 aggiornamenti"
    assert "Ecco che cosa è successo dal tuo ultimo riepilogo:" in message.get_body(("plain",)).get_content()
