"""From the bytes of an e-mail to the text a person wrote: the part to read (plain text first, else
HTML made text), its charset decoded, and the headers that matter to a reply."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html.parser import HTMLParser

from lti_tool.inbound.quotes import strip_quoted

# Text above this is not a reply anyone typed; the handler's own limits apply after it.
TEXT_MAX = 100_000
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str  # the From address, lowercased ("" when missing)
    subject: str
    text: str  # the reply's own words, quotes stripped
    automatic: bool  # an auto-reply or other machine mail: never posted


def parse(raw: bytes) -> ParsedMail:
    message = message_from_bytes(raw, policy=policy.default)
    senders = [address for _name, address in getaddresses([str(message.get("From", ""))]) if address]
    message_id = str(message.get("Message-ID", "")).strip()
    return ParsedMail(
        # A missing Message-ID: the content itself tells a redelivery from a new message.
        message_id=message_id or "sha256:" + hashlib.sha256(raw).hexdigest(),
        sender=senders[0].lower() if len(senders) == 1 else "",
        subject=str(message.get("Subject", "")),
        text=strip_quoted(body_text(message)[:TEXT_MAX]),
        automatic=is_automatic(message),
    )


def is_automatic(message: Message) -> bool:
    """Out-of-office answers and other machine mail (RFC 3834), which must not become posts."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in _AUTOMATIC_PRECEDENCE
        or any(message.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "List-Id"))
    )


def body_text(message: Message) -> str:
    """The message's text: its first text/plain part that is not an attachment, else its first
    text/html part as text; "" when it has neither."""
    plain, html = None, None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None and plain.strip():
        return plain
    return html_to_text(html) if html else ""


def _decoded(part: Message) -> str:
    """The part's text in its declared charset; an unknown or wrong charset is read as UTF-8 with
    replacement characters rather than refused."""
    if isinstance(part, EmailMessage):
        try:
            return str(part.get_content())
        except (LookupError, UnicodeDecodeError):
            pass
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    try:
        return data.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul", "ol"}
_SKIPPED = {"script", "style", "head", "title", "template", "noscript"}


class _TextMaker(HTMLParser):
    """Text from HTML: visible text only, blocks on their own lines, quotes marked with ``>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.depth_quoted = 0
        self.depth_skipped = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.depth_skipped += 1
        elif tag == "blockquote":
            self.depth_quoted += 1
            self._newline()
        elif tag == "hr":
            self._newline()
            self.lines[-1] = "_" * 32
            self._newline()
        elif tag in _BLOCKS:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.depth_skipped = max(0, self.depth_skipped - 1)
        elif tag == "blockquote":
            self._newline()
            self.depth_quoted = max(0, self.depth_quoted - 1)
        elif tag in _BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.depth_skipped:
            return
        words = re.sub(r"\s+", " ", data)
        if not self.lines[-1]:
            words = words.lstrip()
            if words and self.depth_quoted:
                words = "> " * self.depth_quoted + words
        self.lines[-1] += words

    def _newline(self) -> None:
        if self.lines[-1].strip() or (len(self.lines) > 1 and self.lines[-2].strip()):
            self.lines.append("")
        else:
            self.lines[-1] = ""

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines).strip()


def html_to_text(html: str) -> str:
    """Visible text of an HTML body (never markup: the result is treated as typed text)."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    return maker.text()
