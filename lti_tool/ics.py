"""iCalendar (RFC 5545) text for one event: meeting and webinar invitations, updates, cancellations.

Times are written in UTC (``...Z``), which every calendar shows in its owner's zone, so no VTIMEZONE
block is needed and a daylight-saving change cannot move an event. Invitations follow iTIP
(RFC 5546): ``METHOD:REQUEST`` with the same ``UID`` and a higher ``SEQUENCE`` for an update,
``METHOD:CANCEL`` to withdraw it; a plain download is ``METHOD:PUBLISH``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRODID = "-//Ritmo//Mentoring calendar//EN"
#: Longest content line in octets, without its CRLF (section 3.1).
LINE_OCTETS = 75

# TEXT and parameter values may not hold control characters other than HTAB (section 3.3.11).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class Method(enum.StrEnum):
    PUBLISH = "PUBLISH"
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class Event:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    organizer: Person | None = None
    attendees: Sequence[Person] = ()
    #: A reminder this long before the start (none on a cancellation).
    alarm_before: timedelta | None = None


def calendar(event: Event, *, method: Method, stamp: datetime) -> str:
    """The whole ``VCALENDAR`` text: CRLF line endings, lines folded at 75 octets. ``stamp`` is
    when this version of the object was made (``DTSTAMP``)."""
    cancelled = method is Method.CANCEL
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method.value}",
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"SEQUENCE:{int(event.sequence)}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{_uri(event.url)}")
    if event.organizer:
        lines.append(f"ORGANIZER{_cn(event.organizer)}:mailto:{_uri(event.organizer.email)}")
    for person in event.attendees:
        lines.append(
            f"ATTENDEE{_cn(person)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE"
            f":mailto:{_uri(person.email)}"
        )
    lines.append("TRANSP:OPAQUE")
    if event.alarm_before and not cancelled:
        minutes = int(event.alarm_before.total_seconds() // 60)
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(event.summary)}",
            f"TRIGGER:-PT{minutes}M",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def utc(moment: datetime) -> str:
    """A UTC DATE-TIME (form #2 of section 3.3.5)."""
    if moment.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """A TEXT value (section 3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return _CONTROL.sub("", value)


def _cn(person: Person) -> str:
    # Parameter values cannot be escaped: always quote (names hold commas and colons), and drop
    # what a quoted string cannot hold.
    if not person.name:
        return ""
    name = _CONTROL.sub(" ", person.name.replace('"', "'"))
    return f';CN="{name}"'


def _uri(value: str) -> str:
    # URIs are written as they are; a line break in one would start a new property.
    return _CONTROL.sub("", value.replace("\t", ""))


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (section 3.1)."""
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = LINE_OCTETS - 1  # a continuation line starts with a space
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def unfold(text: str) -> list[str]:
    """The content lines of an iCalendar text with folding undone (for readers and tests)."""
    return re.sub(r"\r\n[ \t]", "", text).removesuffix("\r\n").split("\r\n")
