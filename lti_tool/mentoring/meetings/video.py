"""Where a meeting happens: a generated Jitsi room, or a pasted address from the allowed video hosts;
and how Ritmo's room page shows it (Jitsi embedded, BigBlueButton embedded, or a link out)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput
from lti_tool.mentoring.meetings import bbb
from lti_tool.mentoring.meetings.models import Meeting, VideoProvider
from lti_tool.safety.urls import UnsafeUrl, web_url

#: Pasted video addresses must be https on one of these hosts (or a subdomain of them).
VIDEO_HOSTS: dict[str, VideoProvider] = {
    "zoom.us": VideoProvider.ZOOM,
    "zoom.com": VideoProvider.ZOOM,
    "teams.microsoft.com": VideoProvider.TEAMS,
    "teams.live.com": VideoProvider.TEAMS,
    "meet.google.com": VideoProvider.MEET,
    "meet.jit.si": VideoProvider.JITSI,
}


def _jitsi_base_url() -> str:
    # The installation's Jitsi Meet (``WEBINAR_JITSI_BASE_URL``), for meetings as for webinars.
    return str(current_app.config["WEBINAR_JITSI_BASE_URL"]).rstrip("/")


def jitsi_room() -> str:
    # 128 random bits: nobody finds the room by guessing.
    return f"{_jitsi_base_url()}/Ritmo-{secrets.token_hex(16)}"


def video_link(pasted: str | None) -> tuple[VideoProvider, str]:
    """A generated Jitsi room, or a pasted Zoom/Teams/Meet/Jitsi address from the allow-list."""
    if not pasted or not pasted.strip():
        return VideoProvider.JITSI, jitsi_room()
    url = pasted.strip()
    error = InvalidInput(
        errors={
            "video_url": [
                _(
                    "Paste an https:// Zoom, Microsoft Teams, Google Meet or Jitsi address, "
                    "or leave it empty for a Jitsi room."
                )
            ]
        }
    )
    try:
        parts = urlsplit(web_url(url, https_only=True))
    except UnsafeUrl as exc:
        raise error from exc
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.port not in (None, 443):
        raise error
    own_jitsi = (urlsplit(_jitsi_base_url()).hostname or "").lower()
    for allowed, provider in (*VIDEO_HOSTS.items(), (own_jitsi, VideoProvider.JITSI)):
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return provider, url
    raise error


# -- the room page ---------------------------------------------------------------------------------

#: Generated rooms' names start with this (see :func:`jitsi_room`).
ROOM_PREFIX = "/Ritmo-"


@dataclass(frozen=True)
class Room:
    """How the room page shows a meeting's video: ``jitsi`` and ``bbb`` embed, ``link`` opens a tab
    (Zoom, Teams and Meet refuse to be framed)."""

    kind: str
    origin: str = ""
    domain: str = ""
    name: str = ""


def generated(meeting: Meeting) -> bool:
    """A room Ritmo made (not an address someone pasted)."""
    return meeting.video_provider is VideoProvider.JITSI and meeting.video_url.startswith(
        _jitsi_base_url() + ROOM_PREFIX
    )


def room_for(meeting: Meeting) -> Room:
    if generated(meeting) and bbb.configured():
        return Room("bbb", origin=bbb.origin())
    if meeting.video_provider is VideoProvider.JITSI:
        parts = urlsplit(meeting.video_url)
        name = unquote(parts.path.strip("/"))
        if parts.scheme in ("https", "http") and parts.netloc and name and "/" not in name:
            return Room("jitsi", origin=f"{parts.scheme}://{parts.netloc}", domain=parts.netloc, name=name)
    return Room("link")
