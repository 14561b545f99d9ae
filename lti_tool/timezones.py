"""Time zones: the one place Ritmo turns a zone name into a zone, and wall-clock times into UTC.

Times are stored in UTC and shown in each person's zone. One rule for a name that is not a known
IANA zone (``Europe/Rome``, ``America/New_York``, ``UTC``):

* a zone **given as input** (a form or API field that Ritmo stores or schedules with) is refused
  with 422 and a message naming the field: :func:`zone`, :func:`wall_clock_to_utc`;
* a zone **only used to show times** (one saved on a person or a programme, claimed by the LMS, or
  hinted by the browser) gives way to the next candidate and finally to UTC, and the unknown name is
  logged: :func:`shown_zone`, :func:`shown_zone_name`. A page never fails over a zone it did not ask for.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput

log = logging.getLogger(__name__)

#: How a time reads in calendars and notices: "Monday 4 January 2027, 09:00 Central European Time".
DISPLAY_PATTERN = "EEEE d MMMM y, HH:mm zzzz"


@cache
def names() -> frozenset[str]:
    """Every zone name Ritmo accepts: the system's IANA database, and ``UTC``."""
    return frozenset(available_timezones() | {"UTC"})


def is_known(name: str | None) -> bool:
    return bool(name) and name in names()


def zone(name: str | None, *, field: str = "timezone") -> ZoneInfo:
    """The zone called ``name``, given as input: 422 naming ``field`` when it is not a known zone."""
    if name is None or not is_known(name):
        raise InvalidInput(
            _("Unknown time zone."),
            errors={field: [_("Use a time zone name such as Europe/Rome or America/New_York.")]},
        )
    return ZoneInfo(name)


def shown_zone_name(*candidates: str | None) -> str:
    """The first known zone among ``candidates`` (empty ones skipped), else ``UTC``; logs unknown ones."""
    for name in candidates:
        if not name:
            continue
        if is_known(name):
            return name
        log.warning("unknown time zone %r: showing times in the next known zone", name)
    return "UTC"


def shown_zone(*candidates: str | None) -> ZoneInfo:
    """:func:`shown_zone_name` as a zone."""
    return ZoneInfo(shown_zone_name(*candidates))


def wall_clock_to_utc(moment: datetime, zone_name: str, *, field: str = "starts_at") -> datetime:
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
                field: [
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
    """``moment`` in a zone already chosen by :func:`zone` or :func:`shown_zone_name`."""
    return moment.astimezone(ZoneInfo(zone_name))


def display(moment: datetime, zone_name: str) -> str:
    """``moment`` as a person in ``zone_name`` reads it, in the page's language."""
    return format_datetime(
        moment, DISPLAY_PATTERN, tzinfo=ZoneInfo(zone_name), locale=str(get_locale() or "en")
    )
