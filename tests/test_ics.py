"""The shared iCalendar writer: RFC 5545 line folding, TEXT escaping, UTC times and iTIP methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lti_tool import ics

ROME_SUMMER = timezone(timedelta(hours=2))
STAMP = datetime(2027, 6, 1, 9, 30, tzinfo=UTC)


def event(**changes: object) -> ics.Event:
    fields: dict[str, object] = {
        "uid": "meeting-1@ritmo.example",
        "sequence": 0,
        "starts_at": datetime(2027, 6, 3, 10, 0, tzinfo=ROME_SUMMER),
        "ends_at": datetime(2027, 6, 3, 10, 45, tzinfo=ROME_SUMMER),
        "summary": "First meeting",
    }
    return ics.Event(**(fields | changes))  # type: ignore[arg-type]


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text[:-2].split("\r\n")


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    summary = "Incontro di mentoring: " + "è" * 80 + " ✓ fine"
    lines = physical_lines(ics.calendar(event(summary=summary), method=ics.Method.REQUEST, stamp=STAMP))
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(len(line.encode("utf-8")) >= 74 for line in lines)  # it did fold, and folded full
    assert len([line for line in lines if line.startswith(" ")]) >= 2
    assert f"SUMMARY:{summary}" in ics.unfold("\r\n".join(lines) + "\r\n")


def test_fold_exact_boundaries():
    assert ics.fold("X" * 75) == "X" * 75
    assert ics.fold("X" * 76) == "X" * 75 + "\r\n X"
    # Continuation lines carry 74 octets after their leading space.
    assert ics.fold("X" * (75 + 74 + 1)).split("\r\n") == ["X" * 75, " " + "X" * 74, " X"]
    # A two-octet character that would cross the limit moves whole to the next line.
    assert ics.fold("X" * 74 + "é").split("\r\n") == ["X" * 74, " é"]


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a, b; c", "a\\, b\\; c"),
        ("back\\slash", "back\\\\slash"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("bell\x07 and nul\x00 gone, tab\tkept", "bell and nul gone\\, tab\tkept"),
        ("\\n stays literal", "\\\\n stays literal"),
    ],
)
def test_text_escaping(raw, escaped):
    assert ics.escape_text(raw) == escaped


def test_user_text_cannot_add_properties():
    # Newlines in a title, a name or an address must not start a property of their own.
    hostile = event(
        summary="Hi\r\nATTENDEE:mailto:evil@example.org",
        organizer=ics.Person("ritmo@example.edu\r\nX-EVIL:1", 'Ritmo\r\nX-EVIL:2 "quoted"'),
        attendees=[ics.Person("nina@example.edu", "Nina; Rossi, PhD: mentor")],
        url="https://ritmo.example/m/1\nX-EVIL:3",
    )
    lines = ics.unfold(ics.calendar(hostile, method=ics.Method.REQUEST, stamp=STAMP))
    assert not any(line.startswith("X-EVIL") for line in lines)
    assert [line for line in lines if line.startswith("ATTENDEE")] == [
        'ATTENDEE;CN="Nina; Rossi, PhD: mentor";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE'
        ":mailto:nina@example.edu"
    ]
    assert "SUMMARY:Hi\\nATTENDEE:mailto:evil@example.org" in lines
    assert "ORGANIZER;CN=\"Ritmo  X-EVIL:2 'quoted'\":mailto:ritmo@example.eduX-EVIL:1" in lines


def test_times_are_utc_and_naive_times_are_refused():
    lines = ics.unfold(ics.calendar(event(), method=ics.Method.PUBLISH, stamp=STAMP))
    assert "DTSTART:20270603T080000Z" in lines and "DTEND:20270603T084500Z" in lines
    assert "DTSTAMP:20270601T093000Z" in lines
    with pytest.raises(ValueError, match="timezone-aware"):
        ics.calendar(event(starts_at=datetime(2027, 6, 3, 10)), method=ics.Method.REQUEST, stamp=STAMP)


def test_request_update_and_cancel_share_the_uid_and_raise_the_sequence():
    invite = ics.unfold(ics.calendar(event(alarm_before=timedelta(minutes=15)), method=ics.Method.REQUEST,
                                     stamp=STAMP))
    cancel = ics.unfold(ics.calendar(event(sequence=1, alarm_before=timedelta(minutes=15)),
                                     method=ics.Method.CANCEL, stamp=STAMP))
    assert invite[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{ics.PRODID}", "CALSCALE:GREGORIAN",
                          "METHOD:REQUEST"]
    assert "UID:meeting-1@ritmo.example" in invite and "UID:meeting-1@ritmo.example" in cancel
    assert "SEQUENCE:0" in invite and "STATUS:CONFIRMED" in invite and "TRIGGER:-PT15M" in invite
    assert "METHOD:CANCEL" in cancel and "SEQUENCE:1" in cancel and "STATUS:CANCELLED" in cancel
    assert "BEGIN:VALARM" not in cancel
    assert invite[-2:] == ["END:VEVENT", "END:VCALENDAR"]
