"""Taking in a reply: the handlers features register, the checks at each SMTP step, and posting once.

The receiver asks :func:`accept_recipient` while the sender's server names the recipient (a bad,
tampered or expired address, or a person who may no longer write there, is refused before any mail
is sent), then :func:`receive` with the message: it checks again (things change), reads the words
(``parsing.py``), asks the reply to come from the person's own address, and hands it to the handler
of the address's kind in one transaction with the record that makes a redelivery harmless.

SMTP answers are :class:`Refused` with a code: 5xx tells the sender's server to give up and bounce
the person a message carrying our text (in their language, as far as ASCII allows); 4xx to try later.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import RitmoError, TooManyRequests, sentences
from lti_tool.i18n import written_for
from lti_tool.inbound.addresses import BadAddress, ReplyAddress, verify
from lti_tool.inbound.models import InboundMail
from lti_tool.inbound.parsing import ParsedMail, parse

#: ``check(reply, user)`` raises a :class:`RitmoError` when the person may not write there now.
Check = Callable[[ReplyAddress, User], None]
#: ``deliver(reply, user, mail)`` writes the reply as the person (commits, or leaves it to the caller).
Deliver = Callable[[ReplyAddress, User, ParsedMail], None]
# How privacy.erase renames an erased person.
_ERASED_PREFIX = "erased-"
_SMTP_TEXT_MAX = 400
_PLAIN_PUNCTUATION = str.maketrans("“”‘’—–", "\"\"''--")


@dataclass(frozen=True)
class Handler:
    check: Check
    deliver: Deliver


HANDLERS: dict[str, Handler] = {}


class Refused(Exception):
    """An SMTP refusal: ``code`` (550, 451...), an enhanced status and a sentence for the person."""

    def __init__(self, code: int, status: str, text: str):
        super().__init__(text)
        self.code, self.status, self.text = code, status, text

    @property
    def reply(self) -> str:
        return f"{self.code} {self.status} {smtp_text(self.text)}"


def register_handler(kind: str, *, check: Check, deliver: Deliver) -> None:
    """Take replies to addresses of ``kind`` (see ``addresses.reply_address``); from an ``init_app``.

    The same functions again are a no-op; other functions for a taken kind are a mistake that would
    send replies somewhere else, so it raises.
    """
    handler = Handler(check, deliver)
    known = HANDLERS.get(kind)
    if known is not None and known != handler:
        raise ValueError(f"reply kind {kind!r} is already handled by {known.deliver.__module__}")
    HANDLERS[kind] = handler


def accept_recipient(address: str, now: datetime | None = None) -> ReplyAddress:
    """RCPT TO: the verified place, or :class:`Refused`."""
    reply, _handler, _user = _resolve(address, now)
    return reply


def receive(address: str, raw: bytes, now: datetime | None = None) -> str:
    """DATA: post the reply once; returns the SMTP answer, or raises :class:`Refused`."""
    mail = parse(raw)
    digest = hashlib.sha256(f"{mail.message_id}\n{address.strip().lower()}".encode()).hexdigest()
    if _seen(digest):  # posted before (only verified addresses are recorded)
        return "250 2.0.0 Already received"
    reply, handler, user = _resolve(address, now)
    if mail.automatic:
        return "250 2.6.0 Automatic reply not posted"
    if not user.email or mail.sender != user.email.strip().lower():
        with written_for(user.locale):
            raise Refused(550, "5.7.1", _("Reply from the e-mail address Ritmo wrote to."))
    db.session.add(InboundMail(digest=digest, kind=reply.kind))
    try:
        with written_for(user.locale):
            handler.deliver(reply, user, mail)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if _seen(digest):  # the same mail, delivered twice at once
            return "250 2.0.0 Already received"
        raise
    except RitmoError as error:
        db.session.rollback()
        raise _refusal(error) from error
    return "250 2.0.0 Posted"


def _resolve(address: str, now: datetime | None) -> tuple[ReplyAddress, Handler, User]:
    try:
        reply = verify(address, now)
    except BadAddress as error:
        raise Refused(550, "5.1.1", str(error)) from error
    handler = HANDLERS.get(reply.kind)
    user = db.session.get(User, reply.user_id)
    if handler is None or user is None or user.sub.startswith(_ERASED_PREFIX):
        raise Refused(550, "5.1.1", _("No such mailbox here."))
    with written_for(user.locale):
        try:
            handler.check(reply, user)
        except RitmoError as error:
            db.session.rollback()
            raise _refusal(error) from error
    return reply, handler, user


def _refusal(error: RitmoError) -> Refused:
    if isinstance(error, TooManyRequests):
        return Refused(451, "4.7.1", error.detail)
    return Refused(550, "5.7.1", " ".join(sentences(error.errors)) or error.detail)


def _seen(digest: str) -> bool:
    found = db.session.execute(sa.select(InboundMail.id).where(InboundMail.digest == digest)).first()
    return found is not None


def smtp_text(text: str) -> str:
    """One line of ASCII for an SMTP answer: accents dropped (``è`` -> ``e``), quotes made plain."""
    text = text.translate(_PLAIN_PUNCTUATION)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.split())[:_SMTP_TEXT_MAX]
