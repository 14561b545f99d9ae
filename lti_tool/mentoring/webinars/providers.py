"""Where people meet and watch: join addresses and embeddable video, each from an allow-list.

A join address is either a generated Jitsi Meet room or an https address on a known host of Zoom,
Microsoft Teams or BigBlueButton (BigBlueButton is self-hosted, so its hosts come from settings).
Video links from allow-listed providers become their privacy-friendly embed addresses.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput
from lti_tool.mentoring.webinars.models import JoinProvider
from lti_tool.safety.urls import UnsafeUrl, web_url

ROOM_TOKEN_BYTES = 12

# Host suffixes per provider; a host matches when it is the suffix or ends with "." + suffix.
JOIN_HOSTS: dict[JoinProvider, tuple[str, ...]] = {
    JoinProvider.JITSI: ("meet.jit.si", "8x8.vc"),
    JoinProvider.ZOOM: ("zoom.us", "zoomgov.com"),
    JoinProvider.TEAMS: ("teams.microsoft.com", "teams.live.com"),
    JoinProvider.BIGBLUEBUTTON: (),
}

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{6,12}$")


def _host_matches(host: str, suffixes: tuple[str, ...]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def allowed_hosts() -> dict[JoinProvider, tuple[str, ...]]:
    """The built-in hosts plus the installation's (``WEBINAR_BBB_HOSTS``, ``WEBINAR_JITSI_BASE_URL``)."""
    hosts = dict(JOIN_HOSTS)
    bbb = current_app.config["WEBINAR_BBB_HOSTS"]
    hosts[JoinProvider.BIGBLUEBUTTON] = tuple(h.lower() for h in bbb)
    jitsi_host = urlsplit(jitsi_base_url()).hostname or ""
    hosts[JoinProvider.JITSI] = (*hosts[JoinProvider.JITSI], jitsi_host.lower())
    return hosts


def jitsi_base_url() -> str:
    return str(current_app.config["WEBINAR_JITSI_BASE_URL"]).rstrip("/")


def generate_jitsi_room(title: str) -> str:
    """A hard-to-guess room: a readable prefix from the title and a random token."""
    words = re.sub(r"[^A-Za-z0-9]+", " ", title).title().replace(" ", "")[:40]
    return f"{jitsi_base_url()}/Ritmo{words}-{secrets.token_urlsafe(ROOM_TOKEN_BYTES)}"


def classify_join_url(url: str) -> JoinProvider:
    """The provider of ``url``, or 422 naming what is accepted."""
    try:
        host = (urlsplit(web_url(url, https_only=True)).hostname or "").lower().rstrip(".")
    except UnsafeUrl:
        host = ""
    if host:
        for provider, suffixes in allowed_hosts().items():
            if suffixes and _host_matches(host, suffixes):
                return provider
    raise InvalidInput(
        _("This join address is not accepted."),
        errors={
            "join_url": [
                _(
                    "Use an https address of Jitsi Meet, Zoom, Microsoft Teams or your "
                    "BigBlueButton server, or leave it empty to get a Jitsi Meet room."
                )
            ]
        },
    )


def video_embed_url(url: str) -> str:
    """The privacy-friendly embed address of a YouTube or Vimeo video, or 422."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    path = [p for p in parts.path.split("/") if p]
    video_id: str | None = None
    if parts.scheme in ("http", "https"):
        if host in ("youtu.be",) and path:
            video_id = path[0]
        elif _host_matches(host, ("youtube.com", "youtube-nocookie.com")):
            if path[:1] == ["watch"] or not path:
                video_id = (parse_qs(parts.query).get("v") or [""])[0]
            elif len(path) >= 2 and path[0] in ("embed", "shorts", "live", "v"):
                video_id = path[1]
        if video_id is not None and _YOUTUBE_ID.match(video_id):
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
        if _host_matches(host, ("vimeo.com",)):
            candidate = path[-1] if path else ""
            if path[:1] == ["video"] and len(path) >= 2:
                candidate = path[1]
            if _VIMEO_ID.match(candidate):
                return f"https://player.vimeo.com/video/{candidate}?dnt=1"
    raise InvalidInput(
        _("This video address is not accepted."),
        errors={"url": [_("Give a YouTube or Vimeo video address, or add the video as a link.")]},
    )
