"""BigBlueButton rooms for meetings, where the installation has a BigBlueButton server.

``BBB_URL`` (e.g. ``https://bbb.example.org/bigbluebutton/``) and ``BBB_SECRET`` (``bbb-conf
--secret``) turn it on. Every API call is signed: ``checksum = sha1(call + query + secret)``. Ritmo
creates the room server-side (``create`` is idempotent for the same ``meetingID``), then gives the
member a signed ``join`` address for the room page's frame; the secret never reaches the browser.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

import requests
from flask import current_app
from flask_babel import gettext as _

from lti_tool import http
from lti_tool.errors import Conflict
from lti_tool.mentoring.meetings.models import Meeting

_SUCCESS = re.compile(rb"<returncode>\s*SUCCESS\s*</returncode>")


def configured() -> bool:
    config = current_app.config
    return bool(config.get("BBB_URL")) and bool(config.get("BBB_SECRET"))


def checksum(call: str, query: str, secret: str) -> str:
    """BigBlueButton's request signature: the SHA-1 of the call name, query string and secret."""
    return hashlib.sha1((call + query + secret).encode("utf-8"), usedforsecurity=False).hexdigest()


def signed_url(base_url: str, secret: str, call: str, params: list[tuple[str, str]]) -> str:
    query = urlencode(params)
    api = base_url.rstrip("/") + "/api/"
    return f"{api}{call}?{query}&checksum={checksum(call, query, secret)}"


def _settings() -> tuple[str, str]:
    config = current_app.config
    return str(config["BBB_URL"]), str(config["BBB_SECRET"])


def room_id(meeting: Meeting) -> str:
    # The meeting's own unguessable calendar UID, so the room is stable across reschedules.
    return "ritmo-" + meeting.ical_uid.split("@", 1)[0]


def origin() -> str:
    base, _secret = _settings()
    scheme, _sep, rest = base.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def create(meeting: Meeting) -> None:
    """Make sure the room exists on the server (``create`` answers SUCCESS again for an existing one)."""
    base, secret = _settings()
    params = [
        ("name", meeting.title),
        ("meetingID", room_id(meeting)),
        ("record", "false"),
        ("duration", str(meeting.duration_minutes + 60)),
    ]
    try:
        answer = http.request("GET", signed_url(base, secret, "create", params))
    except requests.RequestException as error:  # network, refusal or timeout: not now
        current_app.logger.warning("BigBlueButton create failed: %s", error)
        raise Conflict(_("The video room could not be opened just now. Try again in a minute.")) from error
    if answer.status_code != 200 or not _SUCCESS.search(answer.content):
        current_app.logger.warning("BigBlueButton create answered %s", answer.status_code)
        raise Conflict(_("The video room could not be opened just now. Try again in a minute."))


def join_url(meeting: Meeting, user_id: int, full_name: str) -> str:
    """The signed address that puts this member in the room (both sides moderate their own meeting)."""
    base, secret = _settings()
    params = [
        ("fullName", full_name),
        ("meetingID", room_id(meeting)),
        ("role", "MODERATOR"),
        ("userID", f"ritmo-{user_id}"),
        ("redirect", "true"),
    ]
    return signed_url(base, secret, "join", params)
