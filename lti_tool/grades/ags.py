"""The AGS wire protocol: access tokens, line items and scores over plain HTTP.

Nothing here touches the database: callers pass plain values and get plain values or an
:class:`AgsError` that says whether trying again later can help.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import requests

from lti_tool.http import Answer, Client, OutboundRefused
from lti_tool.launch.keys import SigningKey

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# One token covers everything delivery does, so a platform sees one token request per expiry.
DELIVERY_SCOPES = (SCOPE_LINEITEM, SCOPE_SCORE)
LINEITEM_MT = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_MT = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MT = "application/vnd.ims.lis.v1.score+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300
PAGE_LIMIT = 100
MAX_PAGES = 200
# Longest Retry-After honoured; a platform asking for more is retried by the normal backoff.
MAX_RETRY_AFTER_SECONDS = 3600


class AgsError(Exception):
    """A failed AGS or token call. ``transient`` errors are worth retrying later."""

    def __init__(
        self, message: str, *, status: int | None = None, transient: bool,
        retry_after: float | None = None, token_rejected: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.transient = transient
        self.retry_after = retry_after
        # A service call refused our bearer token (expired or revoked): fetch a new one and retry.
        self.token_rejected = token_rejected


@dataclass(frozen=True)
class TokenEndpoint:
    """What a client-credentials grant needs from a platform registration."""

    client_id: str
    token_url: str
    audience: str | None = None


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_in: int


def client_assertion(endpoint: TokenEndpoint, key: SigningKey) -> str:
    """A ``private_key_jwt`` assertion; ``aud`` is the token URL unless the platform wants another."""
    now = int(time.time())
    claims = {
        "iss": endpoint.client_id,
        "sub": endpoint.client_id,
        "aud": endpoint.audience or endpoint.token_url,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_SECONDS,
        "jti": secrets.token_urlsafe(24),
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def request_token(
    session: Client, endpoint: TokenEndpoint, key: SigningKey, scopes: tuple[str, ...],
    timeout: Any,
) -> AccessToken:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(endpoint, key),
        "scope": " ".join(scopes),
    }
    response = _call(session, "POST", endpoint.token_url, timeout, data=form)
    try:
        body = response.json()
        return AccessToken(str(body["access_token"]), int(body.get("expires_in") or 3600))
    except (ValueError, KeyError, TypeError) as error:
        raise AgsError("The LMS answered the token request without an access token.",
                       status=response.status_code, transient=True) from error


def find_line_item(
    session: Client, token: str, lineitems_url: str, resource_id: str, tag: str,
    timeout: Any, *, limit: int = PAGE_LIMIT,
) -> dict[str, Any] | None:
    """The line item with this ``resourceId`` and ``tag``, following ``Link: rel="next"`` pages."""
    url: str | None = with_query(
        lineitems_url, {"resource_id": resource_id, "tag": tag, "limit": str(limit)}
    )
    for _ in range(MAX_PAGES):
        if url is None:
            return None
        response = _call(session, "GET", url, timeout, token=token, accept=CONTAINER_MT)
        items = response.json()
        for item in items if isinstance(items, list) else []:
            # Filter again: some platforms ignore the query filters.
            if item.get("resourceId") == resource_id and item.get("tag", tag) == tag:
                return dict(item)
        url = next_page_url(response.headers.get("Link"))
    return None


def create_line_item(
    session: Client, token: str, lineitems_url: str, body: dict[str, Any], timeout: Any
) -> dict[str, Any]:
    response = _call(
        session, "POST", lineitems_url, timeout, token=token, accept=LINEITEM_MT,
        json_body=body, content_type=LINEITEM_MT,
    )
    item = response.json()
    if not isinstance(item, dict) or not item.get("id"):
        raise AgsError("The LMS created the gradebook column but did not say its URL.",
                       status=response.status_code, transient=True)
    return item


def post_score(
    session: Client, token: str, lineitem_url: str, score: dict[str, Any], timeout: Any
) -> None:
    _call(
        session, "POST", scores_url(lineitem_url), timeout, token=token, json_body=score,
        content_type=SCORE_MT,
    )


def scores_url(lineitem_url: str) -> str:
    """``<line item>/scores`` with the line item's query string kept (Moodle's ``?type_id=``)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if k not in {name for name, _ in query}]
    return urlunsplit(parts._replace(query=urlencode(query)))


_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
# Typographic quotes arrive as UTF-8 read as latin-1 ("â\x80\x9c"): keep only word characters.
_REL = re.compile(r"rel\s*=\s*(.*)", re.IGNORECASE)


def next_page_url(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, whatever quotes the platform used.

    The URL is returned verbatim: lower-casing it would break context ids such as ``CourseA``.
    """
    if not link_header:
        return None
    for url, params in _LINK_VALUE.findall(link_header):
        for param in params.split(";"):
            found = _REL.search(param.strip())
            if found and "next" in re.findall(r"[a-z0-9.:/-]+", found.group(1).lower()):
                return url.strip()
    return None


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds, from delta-seconds or an HTTP date; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER_SECONDS))


def _call(
    session: Client, method: str, url: str, timeout: Any, *, token: str | None = None,
    accept: str | None = None, json_body: Any = None, content_type: str | None = None,
    data: dict[str, str] | None = None,
) -> Answer:
    headers: dict[str, str] = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if accept:
        headers["Accept"] = accept
    kwargs: dict[str, Any] = {"headers": headers, "timeout": timeout}
    if json_body is not None:
        headers["Content-Type"] = content_type or "application/json"
        kwargs["data"] = json.dumps(json_body)
    elif data is not None:
        kwargs["data"] = data
    try:
        response = session.request(method, url, **kwargs)
    except OutboundRefused as error:
        # An address or answer Ritmo refuses stays refused: no retry. The reason is for the log.
        raise AgsError(f"Ritmo refused to call the LMS at this address: {error}",
                       transient=False) from error
    except requests.Timeout as error:
        raise AgsError("The LMS did not answer in time.", transient=True) from error
    except requests.RequestException as error:
        raise AgsError(f"Could not reach the LMS ({type(error).__name__}).", transient=True) from error
    if response.status_code < 400:
        return response
    message = _platform_message(response)
    status = response.status_code
    transient = status >= 500 or status in (408, 429)
    raise AgsError(
        f"The LMS answered {status}: {message}", status=status, transient=transient,
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        token_rejected=status == 401 and token is not None,
    )


def _platform_message(response: Answer) -> str:
    """The LMS's own error members of a JSON answer (what instructors need to fix a score);
    never a raw body, which could be any page the address happened to serve."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "error_description", "message", "detail")
                 if isinstance(body.get(k), str | int) and body.get(k)]
        if parts:
            return " - ".join(parts)[:300]
    return response.reason[:60] or "no error message"
