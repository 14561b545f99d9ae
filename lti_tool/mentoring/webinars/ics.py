"""A small RFC 5545 writer for webinar invitations, updates and cancellations.

Times are written in UTC (``...Z``), so no VTIMEZONE block is needed and every calendar shows the
event in its owner's zone. Text is escaped (section 3.3.11) and lines are folded at 75 octets
(section 3.1) with CRLF endings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Ritmo//Webinars//EN"
LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    organizer_email: str | None = None
    organizer_name: str | None = None
    attendee_email: str | None = None
    attendee_name: str | None = None
    cancelled: bool = False


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _param(value: str) -> str:
    # Parameter values cannot be escaped; quote them and drop what a quoted string cannot hold.
    return '"' + value.replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'


def fold(line: str) -> str:
    """Fold one content line at 75 octets without splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = LINE_OCTETS
    for char in line:
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
            limit = LINE_OCTETS - 1  # continuation lines start with a space
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(event: CalendarEvent, *, now: datetime, method: str = "REQUEST") -> str:
    """The whole ``VCALENDAR`` text for one event: an invitation (``REQUEST``), a plain download
    (``PUBLISH``), or ``CANCEL`` when the event is cancelled."""
    method = "CANCEL" if event.cancelled else method
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{stamp(now)}",
        f"DTSTART:{stamp(event.starts_at)}",
        f"DTEND:{stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.organizer_email:
        cn = f";CN={_param(event.organizer_name)}" if event.organizer_name else ""
        lines.append(f"ORGANIZER{cn}:mailto:{event.organizer_email}")
    if event.attendee_email:
        cn = f";CN={_param(event.attendee_name)}" if event.attendee_name else ""
        lines.append(f"ATTENDEE{cn};ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{event.attendee_email}")
    if not event.cancelled:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(event.summary)}",
            "TRIGGER:-PT15M",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
