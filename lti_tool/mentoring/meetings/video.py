"""Where a meeting happens: a generated Jitsi room, or a pasted address from the allowed video hosts."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput
from lti_tool.mentoring.meetings.models import VideoProvider
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
