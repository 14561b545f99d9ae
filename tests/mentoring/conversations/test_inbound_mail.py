"""Replies by e-mail, end to end: Ritmo's thread and chat e-mails (caught by a real SMTP server)
carry a signed Reply-To; replying to it over SMTP (smtplib to Ritmo's aiosmtpd receiver) posts in
that thread or chat as the person, through the services pages use, and is refused for anyone who
may not write there."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from lti_tool.accounts.models import CourseRole, Enrolment
from lti_tool.db import db, utcnow
from lti_tool.inbound.addresses import reply_address
from lti_tool.inbound.receiver import Receiver, start_receiver, stop_receiver
from lti_tool.jobs.models import Job
from lti_tool.jobs.runner import drain
from lti_tool.mentoring.conversations.chat import CHAT_EMAIL_TASK
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread
from lti_tool.mentoring.matching.models import MatchStatus
from lti_tool.mentoring.programmes.models import Participant, ParticipantStatus
from tests.mentoring.conversations.factories import Mailbox, World, free_port, make_world

DOMAIN = "replies.ritmo.example"


@pytest.fixture(scope="module")
def outgoing() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(outgoing) -> Mailbox:
    outgoing[1].clear()
    return outgoing[1]


@pytest.fixture
def app_config(outgoing) -> dict[str, object]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": outgoing[0].port,
        "MAIL_FROM": "Ritmo <ritmo@example.org>",
        "INBOUND_MAIL_DOMAIN": DOMAIN,
    }


@pytest.fixture
def world(app) -> World:
    world = make_world()
    # As their launches left them: enrolled in the programme's course.
    for user in [world.mentor, *world.mentees, world.outsider]:
        db.session.add(
            Enrolment(
                user_id=user.id,
                course_id=world.course.id,
                role=CourseRole.PARTICIPANT,
                is_mentor=user is world.mentor,
            )
        )
    db.session.commit()
    return world


@pytest.fixture
def receiver(app, world) -> Iterator[Receiver]:
    started = start_receiver(app, port=free_port())
    assert started is not None
    yield started
    stop_receiver(app)


def reply(receiver: Receiver, to: str, text: str, *, sender: str, message_id: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: Ritmo"
    message["Message-ID"] = message_id or f"<{utcnow().timestamp()}.{len(text)}@mail.example>"
    message.set_content(text)
    deliver(receiver, message, to)


def deliver(receiver: Receiver, message: EmailMessage | MIMEMultipart, to: str) -> None:
    db.session.commit()  # no transaction open while the receiver writes from its own threads
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=[to])


def reply_to(mailbox: Mailbox, address: str) -> str:
    """The Reply-To of the latest e-mail Ritmo sent to ``address``."""
    messages = mailbox.to(address)
    assert messages, f"no e-mail to {address}"
    return str(messages[-1]["Reply-To"])


def open_thread(client, world: World) -> Thread:
    response = client.post(
        f"/api/matches/{world.match.id}/threads",
        headers=world.headers(world.mentee),
        json={"title": "Our plan", "body": "Shall we meet on Monday?"},
    )
    assert response.status_code == 201
    drain()
    return db.session.execute(sa.select(Thread)).scalar_one()


def posts(thread_id: int) -> list[Post]:
    return list(
        db.session.execute(sa.select(Post).where(Post.thread_id == thread_id).order_by(Post.id)).scalars()
    )


def test_a_reply_to_a_thread_email_is_posted_as_the_person_without_the_quote(
    client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    thread = open_thread(client, world)
    address = reply_to(mailbox, "marta@example.org")
    assert address.startswith("reply+t.") and address.endswith("@" + DOMAIN)
    thread_id = thread.id
    reply(
        receiver,
        address,
        "Yes, Monday works <script>alert(1)</script> **great**\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Ben Mentee0 <ben0@example.org> wrote:\n"
        "> Shall we meet on Monday?\n",
        sender="Marta Rossi <Marta@example.org>",
    )
    _question, answer = posts(thread_id)
    assert answer.author_user_id == world.mentor.id
    assert answer.body == "Yes, Monday works <script>alert(1)</script> **great**"
    assert "<script" not in answer.body_html and "<strong>great</strong>" in answer.body_html
    # The mentee hears of it like of any reply, with a reply address of their own.
    mailbox.clear()
    drain()
    theirs = reply_to(mailbox, "ben0@example.org")
    assert theirs.startswith("reply+t.") and theirs != address


def test_a_reply_to_a_chat_email_joins_the_chat(
    client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    sent = client.post(
        f"/api/matches/{world.match.id}/chat", headers=world.headers(world.mentee), json={"body": "Ci sei?"}
    )
    assert sent.status_code == 201
    # The reminder waits for a quiet while: bring it forward.
    db.session.execute(sa.update(Job).where(Job.task == CHAT_EMAIL_TASK).values(run_at=utcnow()))
    db.session.commit()
    drain()
    address = reply_to(mailbox, "marta@example.org")
    assert address.startswith("reply+c.")
    # An HTML-only reply in Latin-1, from an Italian mail program.
    message = MIMEMultipart("alternative")
    message["From"] = "marta@example.org"
    message["To"] = address
    message["Message-ID"] = "<chat-1@mail.example>"
    message.attach(
        MIMEText(
            "<div>Perché no, alle 10 è perfetto.</div><div>Il giorno lun 7 dic 2026 alle ore 10:00 "
            "Ben &lt;ben0@example.org&gt; ha scritto:</div><blockquote>Ci sei?</blockquote>",
            "html",
            "iso-8859-1",
        )
    )
    deliver(receiver, message, address)
    last = db.session.execute(sa.select(ChatMessage).order_by(ChatMessage.id.desc())).scalars().first()
    assert last is not None and last.author_user_id == world.mentor.id
    assert last.body == "Perché no, alle 10 è perfetto."


def test_forged_tampered_and_expired_addresses_are_refused(
    app, client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    thread = open_thread(client, world)
    good = reply_to(mailbox, "marta@example.org")
    thread_id, match_id, mentor_id = thread.id, world.match.id, world.mentor.id
    expired = reply_address("t", mentor_id, match_id, thread_id, now=utcnow() - timedelta(days=31))
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "someone-elses-secret"
    forged = reply_address("t", mentor_id, match_id, thread_id)
    app.config["SECRET_KEY"] = secret
    other_thread = good.replace(f".{_b36(thread_id)}.", f".{_b36(thread_id + 1)}.", 1)
    assert expired and forged and other_thread != good
    for address in (forged, other_thread, expired):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            reply(receiver, address, "Let me in", sender="marta@example.org")
        assert refused.value.recipients[address][0] == 550
    assert len(posts(thread_id)) == 1


@pytest.mark.parametrize("change", ["ended", "withdrawn", "left the course", "not a member"])
def test_who_may_no_longer_write_there_is_refused_without_a_post(
    client, world: World, mailbox: Mailbox, receiver: Receiver, change: str
) -> None:
    thread = open_thread(client, world)
    thread_id = thread.id
    address = reply_to(mailbox, "marta@example.org")
    sender = "marta@example.org"
    if change == "ended":
        world.match.status = MatchStatus.ENDED
        words = b"has ended"
    elif change == "withdrawn":
        db.session.execute(
            sa.update(Participant)
            .where(Participant.user_id == world.mentor.id)
            .values(status=ParticipantStatus.WITHDRAWN)
        )
        words = b"left this programme"
    elif change == "left the course":
        db.session.execute(sa.delete(Enrolment).where(Enrolment.user_id == world.mentor.id))
        words = b"no longer part of this course"
    else:
        # Validly signed, for someone who is not in this match.
        address = str(reply_address("t", world.outsider.id, world.match.id, thread_id))
        sender = "olga@example.org"
        words = b"not yours"
    db.session.commit()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        reply(receiver, address, "Still here", sender=sender)
    code, text = refused.value.recipients[address]
    assert code == 550 and words in text, text
    assert len(posts(thread_id)) == 1


def test_a_redelivered_reply_is_posted_once(
    client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    thread = open_thread(client, world)
    thread_id = thread.id
    address = reply_to(mailbox, "marta@example.org")
    for _attempt in range(2):
        reply(receiver, address, "Once only", sender="marta@example.org", message_id="<same@mail.example>")
    assert [p.body for p in posts(thread_id)] == ["Shall we meet on Monday?", "Once only"]


def test_a_reply_from_another_address_or_with_nothing_new_is_refused(
    client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    thread = open_thread(client, world)
    thread_id = thread.id
    address = reply_to(mailbox, "marta@example.org")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        reply(receiver, address, "It is me, really", sender="marta@elsewhere.example")
    assert refused.value.smtp_code == 550
    with pytest.raises(smtplib.SMTPDataError) as empty:
        reply(receiver, address, "On Monday, Ben wrote:\n> Shall we meet?", sender="marta@example.org")
    assert empty.value.smtp_code == 550 and b"Write something" in empty.value.smtp_error
    assert len(posts(thread_id)) == 1


def test_the_pages_chat_limit_counts_replies_by_email_too(
    app, client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    match_id, mentor_id = world.match.id, world.mentor.id
    address = str(reply_address("c", mentor_id, match_id))
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_CHAT=1)
    on_page = client.post(
        f"/api/matches/{match_id}/chat", headers=world.headers(world.mentor), json={"body": "From the page"}
    )
    assert on_page.status_code == 201
    with pytest.raises(smtplib.SMTPDataError) as later:
        reply(receiver, address, "And by e-mail", sender="marta@example.org")
    # A temporary refusal: the sender's server tries again later.
    assert later.value.smtp_code == 451
    bodies = db.session.execute(sa.select(ChatMessage.body)).scalars().all()
    assert bodies == ["From the page"]


def test_without_a_reply_domain_emails_carry_no_reply_address(
    app, client, world: World, mailbox: Mailbox
) -> None:
    app.config["INBOUND_MAIL_DOMAIN"] = None
    open_thread(client, world)
    assert mailbox.to("marta@example.org")[-1]["Reply-To"] is None


def test_a_coordinator_answers_a_forum_question_by_email(
    client, world: World, mailbox: Mailbox, receiver: Receiver
) -> None:
    db.session.add(
        Enrolment(user_id=world.coordinator.id, course_id=world.course.id, role=CourseRole.COORDINATOR)
    )
    db.session.commit()
    asked = client.post(
        "/api/forum/threads",
        headers=world.headers(world.mentee),
        json={"title": "Deadlines", "body": "When does the programme end?"},
    )
    assert asked.status_code == 201
    drain()
    thread_id = db.session.execute(sa.select(Thread.id).where(Thread.match_id.is_(None))).scalar_one()
    address = reply_to(mailbox, "cora@example.org")
    assert address.startswith(f"reply+t.{_b36(world.coordinator.id)}.0.{_b36(thread_id)}.")
    reply(receiver, address, "On 30 June.\n-- \nCora, coordinator", sender="cora@example.org")
    answer = posts(thread_id)[-1]
    assert (answer.author_user_id, answer.body) == (world.coordinator.id, "On 30 June.")


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
