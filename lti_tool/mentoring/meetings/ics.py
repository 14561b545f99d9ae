"""RFC 5545 calendar objects for meeting invitations (REQUEST) and cancellations (CANCEL).

Times are written in UTC (``...Z``), which every calendar converts to its owner's zone, so no
VTIMEZONE block is needed and daylight-saving changes cannot shift a meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRODID = "-//Ritmo//Mentoring meetings//EN"
LINE_OCTETS = 75


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str | None


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _param(value: str) -> str:
    # Parameter values cannot hold quotes; quote them when they contain separators.
    cleaned = value.replace('"', "'")
    return f'"{cleaned}"' if any(c in cleaned for c in ",;:") else cleaned


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.1)."""
    out: list[str] = []
    current = ""
    limit = LINE_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = char
            limit = LINE_OCTETS - 1  # continuation lines start with a space
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(
    *,
    method: str,
    uid: str,
    sequence: int,
    starts_at: datetime,
    duration: timedelta,
    summary: str,
    description: str,
    location: str,
    organiser: Attendee,
    attendees: Sequence[Attendee],
    stamp: datetime,
    cancelled: bool = False,
) -> str:
    """One VCALENDAR with one VEVENT, CRLF line endings, folded lines."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError("method must be REQUEST or CANCEL")
    organiser_mail = organiser.email or "no-reply@ritmo.invalid"
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(starts_at)}",
        f"DTEND:{_utc(starts_at + duration)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"LOCATION:{escape_text(location)}",
        f"URL:{location}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"ORGANIZER;CN={_param(organiser.name)}:mailto:{organiser_mail}",
    ]
    for attendee in attendees:
        if attendee.email:
            lines.append(
                f"ATTENDEE;CN={_param(attendee.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;"
                f"RSVP=FALSE:mailto:{attendee.email}"
            )
    lines += ["TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def unfold(text: str) -> list[str]:
    """Content lines of an iCalendar text with folding undone (for readers and tests)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")
