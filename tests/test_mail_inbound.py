"""Replies by e-mail, the base layer: signed addresses, quoted text, reading MIME, and the SMTP
receiver talking to a real SMTP client (smtplib) with a handler registered like a feature's."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
import sqlalchemy as sa
from celery import signals
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Forbidden
from lti_tool.i18n import written_for
from lti_tool.inbound import addresses, service
from lti_tool.inbound.models import InboundMail
from lti_tool.inbound.parsing import ParsedMail, body_text, html_to_text, parse
from lti_tool.inbound.quotes import strip_quoted
from lti_tool.inbound.receiver import Receiver, start_receiver, stop_receiver
from lti_tool.jobs.celery_app import make_celery
from lti_tool.launch.models import Platform
from lti_tool.server import start_inline_runner
from tests.mentoring.conversations.factories import free_port

DOMAIN = "replies.example.org"
received: list[tuple[int, tuple[int, ...], str]] = []
closed: set[int] = set()


def _check(reply: addresses.ReplyAddress, user: User) -> None:
    if reply.ids and reply.ids[0] in closed:
        raise Forbidden("This place is closed for replies.")


def _deliver(reply: addresses.ReplyAddress, user: User, mail: ParsedMail) -> None:
    if mail.text == "explode":
        raise RuntimeError("a bug in a handler")
    received.append((user.id, reply.ids, mail.text))


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"INBOUND_MAIL_DOMAIN": DOMAIN, "INBOUND_MAIL_MAX_BYTES": 20_000}


@pytest.fixture
def person(app) -> User:
    service.register_handler("x", check=_check, deliver=_deliver)
    received.clear()
    closed.clear()
    platform = Platform(
        issuer="https://lms.example",
        client_id="ritmo",
        auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks",
    )
    db.session.add(platform)
    db.session.flush()
    user = User(platform_id=platform.id, sub="p1", name="Pia Rossi", email="Pia@Example.org", locale="it")
    db.session.add(user)
    db.session.commit()
    db.session.refresh(user)
    db.session.expunge(user)  # read as it is, without holding the database
    return user


@pytest.fixture
def receiver(app, person) -> Iterator[Receiver]:
    started = start_receiver(app, port=free_port())
    assert started is not None
    db.session.remove()  # let the receiver's threads write to SQLite
    yield started
    stop_receiver(app)


def mail(
    to: str, text: str, *, sender: str = "pia@example.org", message_id: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Pia Rossi <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: news"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(text)
    return message


def send(receiver: Receiver, message: EmailMessage | MIMEMultipart, to: str | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=[to or str(message["To"])])


# -- addresses -------------------------------------------------------------------------------------


def test_an_address_names_its_person_and_place_and_fits_a_local_part(app, person) -> None:
    address = addresses.reply_address("x", person.id, 12, 345_678)
    assert address is not None
    local, _at, host = address.partition("@")
    assert host == DOMAIN and local.startswith("reply+") and len(local) <= 64
    reply = addresses.verify(address)
    assert (reply.kind, reply.user_id, reply.ids) == ("x", person.id, (12, 345_678))
    assert reply.expires_at > utcnow() + timedelta(days=29)
    # Mail systems may change the case of an address; the token survives it.
    assert addresses.verify(address.upper()) == reply


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.replace("reply+x.", "reply+y.", 1),  # another kind
        lambda a: a.replace("@" + DOMAIN, "@elsewhere.example"),  # another domain
        lambda a: a[: a.index("@") - 1] + ("0" if a[a.index("@") - 1] != "0" else "1") + a[a.index("@") :],
        lambda a: "reply+x.1.2.zzzzz.0123456789abcdef0123@" + DOMAIN,  # made up
        lambda a: a.replace("reply+", "noreply+"),
    ],
)
def test_a_changed_or_made_up_address_is_refused(app, person, change) -> None:
    address = addresses.reply_address("x", person.id, 12)
    assert address is not None
    with pytest.raises(addresses.BadAddress):
        addresses.verify(change(address))


def test_an_address_expires(app, person) -> None:
    old = addresses.reply_address("x", person.id, 12, now=utcnow() - timedelta(days=31))
    assert old is not None
    with pytest.raises(addresses.BadAddress, match="expired"):
        addresses.verify(old)


def test_another_secret_does_not_verify(app, person) -> None:
    address = addresses.reply_address("x", person.id, 12)
    assert address is not None
    app.config["SECRET_KEY"] = "another-secret"
    with pytest.raises(addresses.BadAddress):
        addresses.verify(address)


def test_without_a_domain_there_are_no_addresses(app, person) -> None:
    app.config["INBOUND_MAIL_DOMAIN"] = None
    assert addresses.reply_address("x", person.id, 12) is None
    assert start_receiver(app) is None


# -- quoted text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Thanks, see you Monday!\n\nOn Mon, 7 Dec 2026 at 10:00, Marta Rossi <marta@example.org> wrote:\n"
            "> Shall we meet?\n> Marta",
            "Thanks, see you Monday!",
        ),
        (
            "Thanks!\n\nOn Mon, 7 Dec 2026 at 10:00, Marta Rossi <\nmarta@example.org> wrote:\n\n> Shall we?",
            "Thanks!",
        ),
        (
            "Va bene, a lunedì.\n\nIl giorno lun 7 dic 2026 alle ore 10:00 Marta Rossi <marta@example.org> "
            "ha scritto:\n> Ci vediamo?",
            "Va bene, a lunedì.",
        ),
        ("Sure.\n\n-----Original Message-----\nFrom: Marta\nSent: Monday\nSubject: hi\n\nShall we?", "Sure."),
        ("Certo.\n\n-----Messaggio originale-----\nDa: Marta\nInviato: lunedì\n\nCi vediamo?", "Certo."),
        (
            "Yes.\n\n________________________________\nFrom: Ritmo <ritmo@example.org>\n"
            "Sent: Monday, December 7, 2026 10:00\nTo: Pia Rossi\nSubject: news\n\nShall we?",
            "Yes.",
        ),
        (
            "Sì.\n\nDa: Ritmo <ritmo@example.org>\nInviato: lunedì 7 dicembre 2026\nA: Pia\n"
            "Oggetto: novità\n\nCi?",
            "Sì.",
        ),
        ("My answer\n-- \nPia Rossi\nMentee", "My answer"),
        ("> you asked\nmy answer\n> and this\nanother answer", "my answer\nanother answer"),
        ("Ok\n\nSent from my iPhone", "Ok"),
        ("Ok\n\nInviato da iPhone", "Ok"),
        ("On Monday I have time.\nOn Tuesday not.", "On Monday I have time.\nOn Tuesday not."),
        ("> only quotes\n> nothing new", ""),
    ],
)
def test_quoted_text_is_stripped(text: str, kept: str) -> None:
    assert strip_quoted(text) == kept


# -- reading MIME ----------------------------------------------------------------------------------


def test_plain_text_is_preferred_and_charsets_are_decoded() -> None:
    message = MIMEMultipart("alternative")
    message.attach(MIMEText("Perché no? Alle 10 è perfetto.", "plain", "iso-8859-1"))
    message.attach(MIMEText("<p>HTML <b>version</b></p>", "html", "utf-8"))
    assert body_text(message) == "Perché no? Alle 10 è perfetto."


def test_html_only_is_made_text_with_its_quotes_marked_and_scripts_dropped() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><div>Grazie &amp; a presto<br>Pia</div>"
        "<script>alert(1)</script><div class='gmail_quote'><div>Il giorno lun 7 dic 2026 Marta "
        "ha scritto:</div><blockquote><p>Ci vediamo?</p></blockquote></div></body></html>"
    )
    assert html_to_text(html) == (
        "Grazie & a presto\nPia\n\nIl giorno lun 7 dic 2026 Marta ha scritto:\n\n> Ci vediamo?"
    )
    message = MIMEMultipart("mixed")
    message["From"] = "pia@example.org"
    message.attach(MIMEText(html, "html", "utf-8"))
    attachment = MIMEText("not the reply", "plain")
    attachment.add_header("Content-Disposition", "attachment", filename="notes.txt")
    message.attach(attachment)
    parsed = parse(message.as_bytes())
    assert parsed.text == "Grazie & a presto\nPia" and parsed.sender == "pia@example.org"
    assert parsed.message_id.startswith("sha256:")


def test_an_unknown_charset_is_read_not_refused() -> None:
    raw = (
        b"From: pia@example.org\r\nMessage-ID: <a@b>\r\nContent-Type: text/plain; charset=x-unknown\r\n"
        b"\r\nciao \xff\r\n"
    )
    assert parse(raw).text == "ciao \ufffd"


def test_automatic_replies_are_recognised() -> None:
    raw = b"From: pia@example.org\r\nAuto-Submitted: auto-replied\r\n\r\nI am away\r\n"
    assert parse(raw).automatic
    assert not parse(b"From: pia@example.org\r\nAuto-Submitted: no\r\n\r\nHello\r\n").automatic


# -- the receiver over SMTP ------------------------------------------------------------------------


def test_a_reply_is_handed_to_its_handler_once(app, person, receiver) -> None:
    address = addresses.reply_address("x", person.id, 7)
    assert address is not None
    message = mail(address, "Happy to.\n\nOn Monday, Ritmo wrote:\n> news", message_id="<one@example.org>")
    send(receiver, message)
    send(receiver, message)  # redelivered
    assert received == [(person.id, (7,), "Happy to.")]
    assert db.session.execute(sa.select(sa.func.count()).select_from(InboundMail)).scalar_one() == 1


def test_bad_addresses_are_refused_at_rcpt(app, person, receiver) -> None:
    good = addresses.reply_address("x", person.id, 7)
    expired = addresses.reply_address("x", person.id, 7, now=utcnow() - timedelta(days=40))
    unknown_kind = addresses.reply_address("q", person.id, 7)
    assert good and expired and unknown_kind
    tampered = good.replace(".7.", ".8.")
    for address, words in [
        (tampered, b"not valid"),
        (expired, b"expired"),
        (unknown_kind, b"No such mailbox"),
        ("someone@" + DOMAIN, b"No such mailbox"),
    ]:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(receiver, mail(address, "hello"))
        code, text = refused.value.recipients[address]
        assert code == 550 and words in text, (address, text)
    assert received == []


def test_the_handler_refuses_in_the_persons_words(app, person, receiver) -> None:
    closed.add(7)
    address = addresses.reply_address("x", person.id, 7)
    assert address is not None
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(receiver, mail(address, "hello"))
    assert refused.value.recipients[address] == (550, b"5.7.1 This place is closed for replies.")


def test_the_reply_must_come_from_the_persons_address(app, person, receiver) -> None:
    address = addresses.reply_address("x", person.id, 7)
    assert address is not None
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(receiver, mail(address, "hello", sender="someone@else.example"))
    # In the person's language (Italian), in ASCII.
    with written_for("it"):
        words = service.smtp_text(_("Reply from the e-mail address Ritmo wrote to."))
    assert refused.value.smtp_code == 550 and words.encode() in refused.value.smtp_error
    assert received == []


def test_one_recipient_per_message_and_a_size_cap(app, person, receiver) -> None:
    first = addresses.reply_address("x", person.id, 7)
    second = addresses.reply_address("x", person.id, 8)
    assert first and second
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("pia@example.org")
        assert smtp.rcpt(first)[0] == 250
        assert smtp.rcpt(second)[0] == 452
    big = mail(first, "a long reply, line after line\n" * 1_000)
    # A client that declares the size is refused at once; one that does not, after the data.
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(receiver, big)
    assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("pia@example.org")
        smtp.rcpt(first)
        assert smtp.data(big.as_string())[0] == 552
    assert received == []


def test_automatic_replies_are_accepted_and_dropped(app, person, receiver) -> None:
    address = addresses.reply_address("x", person.id, 7)
    assert address is not None
    message = mail(address, "I am out of office")
    message["Auto-Submitted"] = "auto-replied"
    send(receiver, message)
    assert received == []


def test_a_handler_failure_asks_the_sender_to_try_later(app, person, receiver) -> None:
    address = addresses.reply_address("x", person.id, 7)
    assert address is not None
    with pytest.raises(smtplib.SMTPDataError) as later:
        send(receiver, mail(address, "explode"))
    assert later.value.smtp_code == 451
    # Nothing recorded: the retry will be taken.
    assert db.session.execute(sa.select(sa.func.count()).select_from(InboundMail)).scalar_one() == 0


def test_a_second_receiver_on_a_taken_port_stands_aside(app, person, receiver) -> None:
    app.extensions.pop("ritmo_inbound_smtp")
    try:
        assert start_receiver(app, port=receiver.port) is None
    finally:
        app.extensions["ritmo_inbound_smtp"] = receiver


def test_the_command_needs_a_domain(app, runner) -> None:
    app.config["INBOUND_MAIL_DOMAIN"] = None
    result = runner.invoke(args=["mail", "receive"])
    assert result.exit_code == 1 and "INBOUND_MAIL_DOMAIN" in result.output


# -- started by the worker -------------------------------------------------------------------------


def test_the_embedded_job_runner_starts_the_receiver(app, person) -> None:
    app.config["INBOUND_SMTP_PORT"] = free_port()
    runner = start_inline_runner(app)
    assert runner is not None
    try:
        started = app.extensions["ritmo_inbound_smtp"]
        with smtplib.SMTP("127.0.0.1", app.config["INBOUND_SMTP_PORT"], timeout=10) as smtp:
            assert smtp.noop()[0] == 250
        assert started.port == app.config["INBOUND_SMTP_PORT"]
    finally:
        runner.stop()
        stop_receiver(app)


def test_a_celery_worker_starts_and_stops_the_receiver(app, person) -> None:
    app.config.update(INBOUND_SMTP_PORT=free_port(), CELERY_BROKER_URL="memory://")
    celery = make_celery(app)
    # What Celery sends: worker_ready from the consumer, worker_shutdown from the worker, both
    # carrying their Celery app; another app's worker starts nothing here.
    signals.worker_ready.send(sender=Sender(object()))
    assert "ritmo_inbound_smtp" not in app.extensions
    signals.worker_ready.send(sender=Sender(celery))
    with smtplib.SMTP("127.0.0.1", app.config["INBOUND_SMTP_PORT"], timeout=10) as smtp:
        assert smtp.noop()[0] == 250
    signals.worker_shutdown.send(sender=Sender(celery))
    assert "ritmo_inbound_smtp" not in app.extensions
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", app.config["INBOUND_SMTP_PORT"], timeout=2)


class Sender:
    """What sends Celery's worker signals (a consumer, a worker): something with its Celery app."""

    def __init__(self, app: object):
        self.app = app
