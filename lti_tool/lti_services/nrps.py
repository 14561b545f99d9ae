"""Names and Role Provisioning Services v2: read a course's whole membership, page by page.

Protocol only: an access token, GET with the membership media type, follow ``Link: rel="next"``
(parsed tolerantly: Moodle writes typographic quotes, and URLs keep their capitals). The roster
sync gets plain member dicts and never sees HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import requests

from lti_tool import http
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.lti_services import tokens
from lti_tool.lti_services.errors import NrpsError
from lti_tool.lti_services.transport import next_page_url

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_MT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 1000
PAGE_LIMIT = 500

#: ``(platform, scopes) -> bearer token``; by default the shared cache of :mod:`tokens`.
TokenSource = Callable[[Platform, tuple[str, ...]], str]


def members(
    platform: Platform,
    memberships_url: str,
    *,
    token: TokenSource = tokens.access_token,
    session: http.Client | None = None,
    rlid: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every member of the context: ``{"user_id", "roles", "status", "name", "given_name", ...}``.
    With ``rlid``, the members who can open that resource link, each with its ``message`` claims
    (the link's custom parameters among them).

    Raises :class:`NrpsError`, or :class:`~lti_tool.lti_services.errors.AccessTokenError` when no
    token could be had. The memberships URL and its next pages come from the LMS, so they go
    through the guarded client like every other outbound call.
    """
    if platform.status is not PlatformStatus.ACTIVE:
        raise NrpsError(f"The platform registration is {platform.status.value}: Ritmo reads its "
                        "rosters only once it is active.", transient=False)
    session = session or http.client()
    bearer = token(platform, (SCOPE,))
    first = memberships_url
    if "limit=" not in first:
        first += ("&" if "?" in first else "?") + f"limit={PAGE_LIMIT}"
    if rlid is not None:
        first += ("&" if "?" in first else "?") + f"rlid={quote(rlid, safe='')}"
    url: str | None = first
    seen: set[str] = set()
    for _page in range(MAX_PAGES):
        if url is None:
            return  # the last page: the roster is complete
        if url in seen:  # a partial roster must not pass for a whole one (it would withdraw people)
            raise NrpsError("The LMS roster's pages lead back to a page already read; stopped reading.",
                            transient=False)
        seen.add(url)
        payload, link = _page_of(session, url, bearer)
        for member in payload.get("members") or []:
            if isinstance(member, dict) and member.get("user_id"):
                yield member
        url = next_page_url(link)
    raise NrpsError(f"The roster has more than {MAX_PAGES} pages; stopped reading.", transient=False)


def _page_of(session: http.Client, url: str, bearer: str) -> tuple[dict[str, Any], str | None]:
    """One membership container and its ``Link`` header."""
    try:
        response = session.get(
            url, headers={"Authorization": f"Bearer {bearer}", "Accept": MEMBERSHIP_MT},
        )
    except http.OutboundRefused as error:
        raise NrpsError(f"Ritmo refused to call the LMS roster: {error}", transient=False) from error
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
        raise NrpsError("The LMS roster answered with something that is not JSON.", transient=True) from error
    if not isinstance(payload, dict):
        raise NrpsError("The LMS roster answered JSON that is not a membership container.",
                        transient=False)
    return payload, response.headers.get("Link")
