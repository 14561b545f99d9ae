"""A mentee registers for a webinar and joins it through Ritmo's join link, in Chromium.

The page opens with a one-time code (``?rh=``) as after a link; ritmo.js carries the session into
the form posts and gets a fresh code for the join link, which opens in a new tab. The
installation's own Jitsi Meet (``WEBINAR_JITSI_BASE_URL``) is a small HTTP server on 127.0.0.1 here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.wrappers import Request, Response

from lti_tool.db import db, utcnow
from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.mentoring.webinars.models import WebinarRegistration
from tests.mentoring.webinars.factory import api, make_world
from tests.session_codes import rh

pytestmark = pytest.mark.browser


class MeetingSite:
    """Stands for a self-hosted Jitsi Meet: records which rooms were opened."""

    def __init__(self) -> None:
        self.rooms: list[str] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.rooms.append(request.path)
        response = Response("<title>Room</title><p>In the room</p>", mimetype="text/html")
        return response(environ, start_response)


@pytest.fixture
def meeting_site(app: Flask) -> Iterator[tuple[ServerHandle, MeetingSite]]:
    site = MeetingSite()
    handle = serve_in_thread(site, "127.0.0.1", 0)
    app.config["WEBINAR_JITSI_BASE_URL"] = handle.url
    yield handle, site
    handle.shutdown()


def test_register_then_join_a_webinar(app, ritmo, meeting_site, browser):
    world = make_world()
    client = app.test_client()
    start = (utcnow() + timedelta(minutes=10)).replace(tzinfo=None, microsecond=0)
    created = api(
        client,
        world.people["coach"],
        "POST",
        "/api/webinars",
        json={
            "title": "Active listening",
            "starts_at": start.isoformat(),
            "timezone": "UTC",
            "duration_minutes": 60,
            "capacity": 5,
        },
    )
    assert created.status_code == 201, created.get_json()
    webinar = created.get_json()["webinars"][0]
    nina = world.people["nina"]

    # Nina's browser is in Tokyo, though Ritmo last knew her in New York.
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        with page.expect_response(lambda r: r.url.endswith("/api/webinars/timezone")) as told:
            page.goto(f"{ritmo.url}/webinars/{webinar['id']}?rh={rh(nina.token)}")
        assert told.value.status == 200
        assert page.locator("h1").inner_text() == "Active listening"
        # This page was written in the zone Ritmo knew, and says which; her browser's is kept for
        # every page after it.
        assert page.locator("#starts").inner_text().endswith("(America/New_York)")
        page.goto(f"{ritmo.url}/webinars/{webinar['id']}?rh={rh(nina.token)}")
        assert "Asia/Tokyo" in page.locator("#zone-note").inner_text()
        assert page.locator("#starts").inner_text().endswith("(Asia/Tokyo)")

        page.click("#register")
        page.wait_for_selector("#registration[data-state=registered]")
        assert "You are registered." in page.locator("#registration").inner_text()
        assert "4 of 5 seats left." in page.locator("#webinar").inner_text()
        # From now on Ritmo itself (pages, reminders) uses her zone.
        assert "Times are shown in Asia/Tokyo." in page.locator("#webinar").inner_text()

        with page.expect_popup() as popup_info:
            page.click("#join")
        room = popup_info.value
        # The tab opens at once (no popup blocker objects) and goes on once the code has arrived.
        room.wait_for_url(webinar["join_url"], timeout=30000)
        room.wait_for_load_state()
        assert room.url == webinar["join_url"]
        assert room.locator("p").inner_text() == "In the room"
        room_path = webinar["join_url"].removeprefix(meeting_site[0].url)
        assert [p for p in meeting_site[1].rooms if p != "/favicon.ico"] == [room_path]
    finally:
        context.close()

    db.session.expire_all()
    registration = db.session.execute(
        sa.select(WebinarRegistration).where(WebinarRegistration.participant_id == nina.id)
    ).scalar_one()
    assert registration.status.value == "registered"
    assert registration.attended_at is not None and registration.attendance_source.value == "join_link"
