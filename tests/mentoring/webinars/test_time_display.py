"""One rule for time (issue 19, item 4): every time a person reads is in their zone, labelled the
same way ("17:00 (Europe/Rome)"), in their language's format; a time entered in a zone reads back
as entered to whoever entered it; notifications follow the recipient's zone and language."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lti_tool.db import db
from lti_tool.mentoring.programmes.models import ParticipantRole
from lti_tool.mentoring.webinars.models import Webinar
from lti_tool.notifications.models import Notification
from tests.mentoring.webinars.factory import api
from tests.session_codes import rh

#: An ISO 8601 timestamp, as a machine writes it; people must never read one.
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")
#: Where a machine-readable time belongs: inside a ``<time datetime="...">`` attribute.
ATTRIBUTE = re.compile(r'datetime="[^"]*"')


def _page(client, person, path, language="en"):
    response = client.get(path, query_string={"rh": rh(person.token)}, headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """What a person reads: the page without tags and attributes, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _webinar_at_five_in_rome(client, world):
    """Lea, a coordinator whose own zone is Tokyo, schedules a webinar at 17:00 Rome time."""
    lea = world.add("lea", ParticipantRole.COORDINATOR, timezone="Asia/Tokyo")
    created = api(
        client,
        lea,
        "POST",
        "/api/webinars",
        json={
            "title": "Asking good questions",
            "audience": "everyone",
            "starts_at": "2027-12-07T17:00",
            "timezone": "Europe/Rome",
            "duration_minutes": 60,
        },
    )
    assert created.status_code == 201, created.get_json()
    return lea, created.get_json()["webinars"][0]


def test_the_author_reads_the_time_as_entered_and_others_in_their_zone(client, world):
    lea, webinar = _webinar_at_five_in_rome(client, world)
    stored = db.session.get(Webinar, webinar["id"])
    assert stored.starts_at.isoformat() == "2027-12-07T16:00:00+00:00"  # kept in UTC
    assert stored.timezone == "Europe/Rome"  # with the zone it was entered in
    path = f"/webinars/{webinar['id']}"

    # Lea lives in Tokyo but entered 17:00 in Rome: she reads 17:00 (Europe/Rome), not 01:00.
    assert "Tuesday, December 7, 2027, 17:00 (Europe/Rome)" in _text(_page(client, lea, path))
    assert "martedì 7 dicembre 2027, 17:00 (Europe/Rome)" in _text(_page(client, lea, path, "it"))

    # Nina reads it in New York, in her language's format, with the same label.
    nina = world.people["nina"]
    assert "Tuesday, December 7, 2027, 11:00 (America/New_York)" in _text(_page(client, nina, path))
    assert "martedì 7 dicembre 2027, 11:00 (America/New_York)" in _text(_page(client, nina, path, "it"))
    listed = _text(_page(client, nina, "/webinars"))
    assert "Tuesday, December 7, 2027, 11:00 (America/New_York)" in listed


def test_a_notification_is_written_in_the_recipients_zone_and_language(client, world):
    _lea, webinar = _webinar_at_five_in_rome(client, world)
    nina = world.people["nina"]
    nina.user.locale = "it"
    db.session.commit()
    registered = api(client, nina, "POST", f"/api/webinars/{webinar['id']}/registration")
    assert registered.status_code in (200, 201), registered.get_json()

    told = (
        db.session.execute(
            sa.select(Notification).where(Notification.user_id == nina.user.id).order_by(Notification.id)
        )
        .scalars()
        .all()
    )
    assert told, "Nina is told she is registered"
    text = told[-1].text
    assert "martedì 7 dicembre 2027, 11:00 (America/New_York)" in text, text
    assert "UTC" not in text and not ISO.search(text)


def test_a_person_without_a_zone_reads_the_programmes(client, world):
    _lea, webinar = _webinar_at_five_in_rome(client, world)
    zoe = world.add("zoe", ParticipantRole.MENTEE, timezone=None)
    page = _text(_page(client, zoe, f"/webinars/{webinar['id']}"))
    assert "Tuesday, December 7, 2027, 17:00 (Europe/Rome)" in page  # the programme is in Rome


def _machine_times_outside_attributes(html: str) -> list[str]:
    return ISO.findall(ATTRIBUTE.sub("", html))


def test_the_kpi_page_shows_no_iso_timestamps(client, world):
    coach = world.people["coach"]
    html = _page(client, coach, f"/programmes/{world.programme.id}/kpis")
    assert _machine_times_outside_attributes(html) == []
    # Its last update reads like every other time: the coordinator's zone, labelled.
    assert re.search(r"\d\d:\d\d \(Europe/Rome\)", _text(html)), _text(html)[:800]


def test_main_pages_show_times_one_way(client, world):
    """A render pass over the pages people use most, everyone in a known zone: no raw ISO times,
    no doubled zone labels ("UTC (UTC)"), and every time of day with its zone in brackets."""
    _lea, webinar = _webinar_at_five_in_rome(client, world)
    nina, coach = world.people["nina"], world.people["coach"]
    api(client, nina, "POST", f"/api/webinars/{webinar['id']}/registration")
    programme = world.programme.id
    pages = [
        (nina, "/webinars"),
        (nina, f"/webinars/{webinar['id']}"),
        (nina, "/notifications"),
        (coach, "/webinars"),
        (coach, f"/programmes/{programme}/kpis"),
        (coach, f"/programmes/{programme}/roster"),
        (coach, f"/programmes/{programme}/participants"),
        (coach, f"/programmes/{programme}/rhythm"),
    ]
    for person, path in pages:
        for language in ("en", "it"):
            html = _page(client, person, path, language)
            text = _text(html)
            assert _machine_times_outside_attributes(html) == [], (path, language)
            assert "UTC (UTC)" not in text and "Coordinated Universal Time" not in text, (path, language)
            for clock in re.findall(r"\b\d\d:\d\d\b(?! \()", text):
                raise AssertionError(f"{path} ({language}) shows {clock} without its zone")
