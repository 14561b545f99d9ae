"""Time zones: the one place Ritmo turns a zone name into a zone, and wall-clock times into UTC.

Times are stored in UTC and shown in each person's zone. One rule for a name that is not a known
IANA zone (``Europe/Rome``, ``America/New_York``, ``UTC``):

* a zone **given as input** (a form or API field that Ritmo stores or schedules with) is refused
  with 422 and a message naming the field: :func:`zone`, :func:`wall_clock_to_utc`;
* a zone **only used to show times** (one saved on a person or a programme, claimed by the LMS, or
  hinted by the browser) gives way to the next candidate and finally to UTC, and the unknown name is
  logged: :func:`shown_zone`, :func:`shown_zone_name`. A page never fails over a zone it did not ask for.

One rule for whose zone a time is shown in (:func:`reader_zone_name`), and one way it reads
(:func:`moment_text`): the language's own date (Babel), a 24-hour time, and the zone's name in
brackets, "7 dic 2026, 17:00 (Europe/Rome)". Pages (``web.local_time``), notifications and e-mails
all go through it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, available_timezones

from babel.dates import format_date, format_skeleton, get_datetime_format
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from lti_tool.errors import InvalidInput

log = logging.getLogger(__name__)

#: How long the date of a time reads, by style; ``time`` shows the time of day alone.
DATE_STYLES = {"medium": "medium", "long": "full", "time": None}


@cache
def names() -> frozenset[str]:
    """Every zone name Ritmo accepts: the system's IANA database, and ``UTC``."""
    return frozenset(available_timezones() | {"UTC"})


@cache
def offered() -> tuple[str, ...]:
    """The zones a picker lists, sorted: the IANA database's own (``zone1970.tab``), without the
    old names kept as links (``Africa/Asmera``, ``US/Eastern``...), and ``UTC``. Every name stays
    accepted (:func:`names`); without the table, the picker lists them all."""
    for base in TZPATH:
        table = Path(base) / "zone1970.tab"
        if table.is_file():
            rows = (line.split("\t") for line in table.read_text(encoding="utf-8").splitlines())
            listed = {row[2] for row in rows if len(row) > 2 and not row[0].startswith("#")}
            return tuple(sorted((listed & names()) | {"UTC"}))
    return tuple(sorted(names()))


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


def reader_zone_name(
    saved: str | None,
    browser: str | None = None,
    programme: str | None = None,
    *,
    reader_id: int | None = None,
    entered_zone: str | None = None,
    entered_by: int | None = None,
) -> str:
    """The zone a person reads a time in: the one rule, for pages and for notifications alike.

    The person who entered a time in a zone (``entered_by``, ``entered_zone``) reads it as entered;
    everyone else reads it in their saved zone, else their browser's, else the programme's, else UTC.
    """
    if entered_by is not None and entered_by == reader_id and is_known(entered_zone):
        return str(entered_zone)
    return shown_zone_name(saved, browser, programme)


def _locale(locale: str | None) -> str:
    return locale or str(get_locale() or "en")


def moment_text(moment: datetime, zone_name: str, *, locale: str | None = None, style: str = "medium") -> str:
    """``moment`` as a person in ``zone_name`` reads it: "Dec 7, 2026, 17:00 (Europe/Rome)".

    ``style`` is ``medium`` (short date), ``long`` (weekday and month in full) or ``time`` (the time
    of day alone); ``locale`` defaults to the page's language. Every time shown ends with the same
    label, the zone's name in brackets.
    """
    if style not in DATE_STYLES:
        raise ValueError(f"unknown time style {style!r}")
    lang = _locale(locale)
    local = moment.astimezone(ZoneInfo(zone_name))
    text = format_skeleton("Hm", local, locale=lang)
    date_style = DATE_STYLES[style]
    if date_style:
        date = format_date(local, date_style, locale=lang)
        text = str(get_datetime_format("medium", locale=lang)).format(text, date)
    return f"{text} ({zone_name})"


def date_text(moment: datetime, zone_name: str, *, locale: str | None = None) -> str:
    """The date of ``moment`` in ``zone_name`` (no time of day, so no label): "7 dic 2026"."""
    return format_date(moment.astimezone(ZoneInfo(zone_name)), "medium", locale=_locale(locale))


def day_text(day: date) -> LazyString:
    """A calendar date (no zone) in the language of whoever reads it: a notification's text is
    written in the recipient's language, so the date is formatted then, not now."""
    return LazyString(lambda: format_date(day, "medium", locale=_locale(None)))


def display(moment: datetime, zone_name: str, *, locale: str | None = None) -> str:
    """``moment`` as calendars and notices show it: :func:`moment_text` with the date in full."""
    return moment_text(moment, zone_name, locale=locale, style="long")
