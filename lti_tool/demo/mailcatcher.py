"""The demo's mail catcher: a local SMTP server that keeps what Ritmo sends, for the Outbox page.

Without it every e-mail of a demo session failed with "Connection refused" and nobody saw the
sign-in links the e-mails carry. Messages live in memory (the newest few hundred); nothing is relayed.
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

from aiosmtpd.controller import Controller

# Enough for a long demo session; the oldest messages go first.
KEEP = 500
# A URL, without the full stop or comma of the sentence it ends.
_LINK = re.compile(r"https?://[^\s<>\"')\]]*[^\s<>\"')\].,;:!?]")


@dataclass(frozen=True)
class CaughtMail:
    """One message as the Outbox shows it."""

    number: int
    subject: str
    sender: str
    to: str
    date: datetime
    text: str
    links: list[str] = field(default_factory=list)

    def segments(self) -> list[tuple[str, bool]]:
        """The text cut into plain runs and links, so the page makes only the links clickable."""
        out: list[tuple[str, bool]] = []
        last = 0
        for found in _LINK.finditer(self.text):
            out += [(self.text[last : found.start()], False), (found.group(), True)]
            last = found.end()
        out.append((self.text[last:], False))
        return [(text, link) for text, link in out if text]

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "subject": self.subject,
            "from": self.sender,
            "to": self.to,
            "date": self.date.isoformat(),
            "text": self.text,
            "links": self.links,
        }


def _text_of(message: EmailMessage) -> str:
    """The plain-text body (every Ritmo e-mail has one), else the HTML part's source."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def _date_of(message: EmailMessage) -> datetime:
    try:
        return parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def parse(raw: bytes, number: int) -> CaughtMail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = _text_of(message)
    return CaughtMail(
        number=number,
        subject=str(message["Subject"] or ""),
        sender=str(message["From"] or ""),
        to=str(message["To"] or ""),
        date=_date_of(message),
        text=text,
        links=list(dict.fromkeys(_LINK.findall(text))),
    )


class Outbox:
    """What the catcher received, newest first; safe to read from the LMS's request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[CaughtMail] = []
        self._count = 0

    def add(self, raw: bytes) -> CaughtMail:
        with self._lock:
            self._count += 1
            mail = parse(raw, self._count)
            self._mails.insert(0, mail)
            del self._mails[KEEP:]
            return mail

    def all(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def get(self, number: int) -> CaughtMail | None:
        return next((m for m in self.all() if m.number == number), None)


class _Handler:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.outbox.add(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MailCatcher:
    """aiosmtpd on ``host:port`` (0: a free port), filling ``outbox``; :meth:`stop` closes it."""

    def __init__(self, outbox: Outbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.outbox = outbox
        self.host = host
        self.port = port or free_port(host)
        self.controller = Controller(
            _Handler(outbox), hostname=host, port=self.port, ident="Ritmo demo mail catcher"
        )

    def start(self) -> MailCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
