"""Webinar times: entered as wall-clock time in a zone, stored in UTC, shown in each person's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput

DISPLAY_PATTERN = "EEEE d MMMM y, HH:mm zzzz"


def zone(name: str | None, *, field: str = "timezone") -> ZoneInfo:
    """The zone called ``name`` (an IANA name such as ``Europe/Rome``), or 422."""
    try:
        if name and name in _zone_names():
            return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise InvalidInput(
        _("Unknown time zone."),
        errors={field: [_("Use a time zone name such as Europe/Rome or America/New_York.")]},
    )


_names: set[str] = set()


def _zone_names() -> set[str]:
    if not _names:
        _names.update(available_timezones() | {"UTC"})
    return _names


def wall_clock_to_utc(moment: datetime, zone_name: str) -> datetime:
    """``moment`` (naive: wall-clock time in ``zone_name``; aware: taken as is) in UTC.

    A wall-clock time that does not exist (skipped when clocks go forward) is refused; an ambiguous
    one (repeated when clocks go back) means its first occurrence.
    """
    tz = zone(zone_name)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    local = moment.replace(tzinfo=tz, fold=0)
    in_utc = local.astimezone(UTC)
    if in_utc.astimezone(tz).replace(tzinfo=None) != moment:
        raise InvalidInput(
            _("This time does not exist in %(zone)s.", zone=zone_name),
            errors={
                "starts_at": [
                    _(
                        "Clocks go forward at that hour in %(zone)s; choose a time outside the jump.",
                        zone=zone_name,
                    )
                ]
            },
        )
    return in_utc


def weekly(first_local: datetime, zone_name: str, count: int) -> list[datetime]:
    """``count`` weekly occurrences at the same wall-clock time in ``zone_name``, in UTC.

    The UTC instant moves when the zone changes between summer and winter time, which is what the
    people in that zone expect.
    """
    if first_local.tzinfo is not None:
        first_local = first_local.astimezone(zone(zone_name)).replace(tzinfo=None)
    return [wall_clock_to_utc(first_local + timedelta(weeks=i), zone_name) for i in range(count)]


def in_zone(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone_name))


def display(moment: datetime, zone_name: str) -> str:
    """``moment`` as a person in ``zone_name`` reads it, in the page's language."""
    return format_datetime(
        moment, DISPLAY_PATTERN, tzinfo=ZoneInfo(zone_name), locale=str(get_locale() or "en")
    )


def valid_or(name: str | None, fallback: str) -> str:
    return name if name and name in _zone_names() else fallback
