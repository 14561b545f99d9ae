"""Keep the new words of an e-mail reply: cut the quoted message, the reply header above it and the
signature, in the forms English and Italian mail programs write them.

Cut from the first of: ``On <date>, <name> wrote:`` / ``Il giorno <date> <name> ha scritto:`` (also
wrapped over two or three lines), ``-----Original Message-----`` / ``-----Messaggio originale-----``,
an Outlook header block (``From:``/``Da:`` followed by ``Sent:``/``Inviato:``, ``To:``/``A:`` or
``Subject:``/``Oggetto:``), and the signature delimiter ``-- ``. Lines quoted with ``>`` go wherever
they are (an answer written between quotes keeps its own lines). A trailing "Sent from my phone"
line goes too.
"""

from __future__ import annotations

import re

_REPLY_HEADER = re.compile(
    r"^\s*(?:on\s.+\swrote|il\s.+\sha\sscritto|le\s.+\sa\sécrit|am\s.+\sschrieb)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|messaggio originale|forwarded message|messaggio inoltrato)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FROM = re.compile(r"^\s*\*?(?:from|da)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_FIELD = re.compile(
    r"^\s*\*?(?:sent|date|to|cc|subject|inviato|data|a|oggetto)\s*:\*?\s", re.IGNORECASE
)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE = re.compile(
    r"^\s*(?:sent from my\s|get outlook for\s|inviato da\s|inviato dal mio\s)\S.{0,60}$", re.IGNORECASE
)
_RULE = re.compile(r"^\s*[-_=*]{3,}\s*$")
# How many lines a wrapped "On ... wrote:" may span.
_HEADER_SPAN = 3


def strip_quoted(text: str) -> str:
    """The reply's own words, without what it quotes; may be empty."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _cut_at(lines)]
    kept = [line.rstrip() for line in lines if not line.lstrip().startswith(">")]
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1]) or _MOBILE.match(kept[-1])):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


def _cut_at(lines: list[str]) -> int:
    """The index of the first line of what the reply quotes (``len(lines)`` when none)."""
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line) or _ORIGINAL.match(line) or _outlook_block(lines, index):
            return index
        for span in range(1, _HEADER_SPAN + 1):
            joined = " ".join(part.strip() for part in lines[index : index + span])
            if joined and _REPLY_HEADER.match(joined) and _starts_header(line):
                return index
    return len(lines)


def _starts_header(line: str) -> bool:
    """A reply header begins a line with its opening word (not mid-sentence text that wraps)."""
    return bool(re.match(r"^\s*(?:on|il|le|am)\s", line, re.IGNORECASE))


def _outlook_block(lines: list[str], index: int) -> bool:
    """``From: ...`` followed within a few lines by other header fields: a forwarded/quoted message."""
    if not _FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 5] if line.strip()]
    return sum(1 for line in following if _HEADER_FIELD.match(line)) >= 2
