"""The meeting room in Chromium: Jitsi embedded through its iframe API, who is in the room from
Ritmo's heartbeats, and the meeting recorded as held once mentor and mentee are both there.

The installation's Jitsi Meet (``WEBINAR_JITSI_BASE_URL``) is a small HTTP server on 127.0.0.1 that
serves a stand-in ``external_api.js`` (the real one's constructor, making the room's iframe) and the
room page; nothing reaches the internet.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from werkzeug.wrappers import Request, Response

from lti_tool.db import db, utcnow
from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.mentoring.meetings.models import Meeting, MeetingStatus, VideoProvider
from tests.mentoring.conversations.factories import make_world
from tests.session_codes import rh

pytestmark = pytest.mark.browser

EXTERNAL_API = """
window.JitsiMeetExternalAPI = function (domain, options) {
  var frame = document.createElement("iframe");
  frame.src = "%(origin)s/" + encodeURIComponent(options.roomName) +
    "#name=" + encodeURIComponent(options.userInfo.displayName);
  frame.allow = "camera; microphone; display-capture";
  options.parentNode.appendChild(frame);
  this.getIFrame = function () { return frame; };
};
"""


class JitsiSite:
    """Stands for a self-hosted Jitsi Meet: the iframe API script and the rooms opened."""

    def __init__(self) -> None:
        self.rooms: list[str] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/external_api.js":
            body = EXTERNAL_API % {"origin": request.host_url.rstrip("/")}
            response = Response(body, mimetype="text/javascript")
        else:
            self.rooms.append(request.path)
            response = Response(
                "<title>Room</title><p id='jitsi'>In the Jitsi room</p>", mimetype="text/html"
            )
        return response(environ, start_response)


@pytest.fixture
def jitsi(app: Flask) -> Iterator[tuple[ServerHandle, JitsiSite]]:
    site = JitsiSite()
    handle = serve_in_thread(site, "127.0.0.1", 0)
    app.config["WEBINAR_JITSI_BASE_URL"] = handle.url
    yield handle, site
    handle.shutdown()


def test_two_members_in_the_room_mark_the_meeting_held(app, ritmo, jitsi, browser):
    handle, site = jitsi
    world = make_world()
    room_name = f"Ritmo-{secrets.token_hex(16)}"
    meeting = Meeting(
        programme_id=world.programme.id,
        match_id=world.match.id,
        organiser_user_id=world.mentor.id,
        title="First meeting",
        status=MeetingStatus.CONFIRMED,
        starts_at=utcnow() - timedelta(minutes=2),
        video_provider=VideoProvider.JITSI,
        video_url=f"{handle.url}/{room_name}",
        ical_uid=f"{secrets.token_hex(8)}@ritmo",
    )
    db.session.add(meeting)
    db.session.commit()
    meeting_id = meeting.id

    mentor_context = browser.new_context()
    mentee_context = browser.new_context()
    try:
        mentor = mentor_context.new_page()
        mentor.goto(f"{ritmo.url}/meetings/{meeting_id}/room?rh={rh(world.token(world.mentor))}")
        mentor.wait_for_selector(f"#present li[data-user='{world.mentor.id}']")
        assert mentor.locator("#present").inner_text().splitlines()[0] == "Marta Rossi"
        assert "Nobody else is here yet." in mentor.locator("#present").inner_text()
        assert mentor.locator("#room").get_attribute("data-status") == "confirmed"
        # Jitsi is inside Ritmo's page, allowed camera and microphone.
        frame = mentor.locator("#video iframe")
        assert "camera" in (frame.get_attribute("allow") or "")
        assert "microphone" in (frame.get_attribute("allow") or "")
        jitsi_frame = mentor.frame_locator("#video iframe")
        assert jitsi_frame.locator("#jitsi").inner_text() == "In the Jitsi room"

        mentee = mentee_context.new_page()
        mentee.goto(f"{ritmo.url}/meetings/{meeting_id}/room?rh={rh(world.token(world.mentee))}")
        mentee.wait_for_selector("#room[data-status=held]")
        names = mentee.locator("#present li[data-user]").all_inner_texts()
        assert sorted(names) == ["Ben Mentee0", "Marta Rossi"]
        assert "recorded as held" in mentee.locator("#room-status").inner_text()
        assert site.rooms.count(f"/{room_name}") == 2
    finally:
        mentor_context.close()
        mentee_context.close()

    db.session.expire_all()
    held = db.session.get(Meeting, meeting_id)
    assert held.status is MeetingStatus.HELD and held.outcome_at is not None
