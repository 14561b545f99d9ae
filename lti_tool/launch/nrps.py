"""Names and Role Provisioning Services v2: read a course's whole membership, page by page.

Protocol only: an access token, GET with the membership media type, follow ``Link: rel="next"``
(parsed tolerantly: Moodle writes typographic quotes, and URLs keep their capitals). The domain
gets plain member dicts and never sees HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import requests

from lti_tool import http
from lti_tool.launch.models import Platform, PlatformStatus

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_MT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 1000
PAGE_LIMIT = 500

#: ``(platform, scopes) -> bearer token``; the grades feature's shared token cache when it exists.
TokenSource = Callable[[Platform, tuple[str, ...]], str]

_LINK = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"""rel\s*=\s*(.+)""", re.IGNORECASE)
# Quotes of any style, as Unicode or as UTF-8 bytes read as latin-1 ("â\x80\x9c").
_QUOTES = re.compile("[\"'\u201c\u201d\u2018\u2019]|\u00e2\u0080[\u009c\u009d\u0098\u0099]")


class NrpsError(Exception):
    """The roster could not be read; ``transient`` errors are worth retrying later."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None):
        super().__init__(message)
        self.transient = transient
        self.status = status


def next_url(link_header: str | None) -> str | None:
    """The ``rel="next"`` target of a Link header, URL verbatim, whatever the quotes and case of rel."""
    if not link_header:
        return None
    for url, params in _LINK.findall(link_header):
        for param in params.split(";"):
            found = _REL.search(param.strip())
            if not found:
                continue
            rels = _QUOTES.sub(" ", found.group(1)).lower().split()
            if "next" in rels:
                return url.strip()
    return None


def default_token(platform: Platform, scopes: tuple[str, ...]) -> str:
    """A bearer token from the grades feature's shared cache (one per platform and scope set)."""
    from lti_tool.grades import tokens
    from lti_tool.grades.ags import AgsError

    try:
        return tokens.access_token(platform, scopes)
    except AgsError as error:
        raise NrpsError(error.message, transient=error.transient, status=error.status) from error


def members(
    platform: Platform,
    memberships_url: str,
    *,
    token: TokenSource = default_token,
    session: http.Client | None = None,
) -> Iterator[dict[str, Any]]:
    """Every member of the context: ``{"user_id", "roles", "status", "name", "given_name", ...}``.

    The memberships URL and its next pages come from the LMS, so they go through the guarded
    client like every other outbound call.
    """
    if platform.status is not PlatformStatus.ACTIVE:
        raise NrpsError(f"The platform registration is {platform.status.value}: Ritmo reads its "
                        "rosters only once it is active.", transient=False)
    session = session or http.client()
    bearer = token(platform, (SCOPE,))
    url: str | None = memberships_url
    if "limit=" not in memberships_url:
        url = memberships_url + ("&" if "?" in memberships_url else "?") + f"limit={PAGE_LIMIT}"
    seen: set[str] = set()
    for _page in range(MAX_PAGES):
        if url is None or url in seen:
            return
        seen.add(url)
        try:
            response = session.get(
                url, headers={"Authorization": f"Bearer {bearer}", "Accept": MEMBERSHIP_MT},
            )
        except http.OutboundRefused as error:
            raise NrpsError(f"Ritmo refused to call the LMS roster: {error}",
                            transient=False) from error
        except requests.RequestException as error:
            raise NrpsError(
                f"Could not reach the LMS roster ({type(error).__name__}).", transient=True
            ) from error
        if response.status_code >= 400:
            raise NrpsError(
                f"The LMS roster answered {response.status_code} {response.reason[:60]}",
                transient=response.status_code >= 500 or response.status_code == 429,
                status=response.status_code,
            )
        try:
            payload = response.json()
        except ValueError as error:
            raise NrpsError(
                "The LMS roster answered with something that is not JSON.", transient=True
            ) from error
        if not isinstance(payload, dict):
            raise NrpsError("The LMS roster answered JSON that is not a membership container.",
                            transient=False)
        for member in payload.get("members") or []:
            if isinstance(member, dict) and member.get("user_id"):
                yield member
        url = next_url(response.headers.get("Link"))
    raise NrpsError(f"The roster has more than {MAX_PAGES} pages; stopped reading.", transient=False)
