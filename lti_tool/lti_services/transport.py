"""What every LTI service call shares on the wire: one guarded request, error mapping, paging.

:func:`call` goes through Ritmo's guarded HTTP client and turns every failure into the error type
the caller names, saying whether trying again later can help. ``Link`` and ``Retry-After`` headers
are read tolerantly here, once for every service.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from lti_tool.http import Answer, Client, OutboundRefused
from lti_tool.lti_services.errors import ServiceError

# Longest Retry-After honoured; a platform asking for more is retried by the normal backoff.
MAX_RETRY_AFTER_SECONDS = 3600


def call(
    session: Client, method: str, url: str, timeout: Any, *, error: type[ServiceError],
    token: str | None = None, accept: str | None = None, json_body: Any = None,
    content_type: str | None = None, data: dict[str, str] | None = None,
) -> Answer:
    """One request; any answer of 400 or more, refusal or network failure raises ``error``."""
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
    except OutboundRefused as refused:
        # An address or answer Ritmo refuses stays refused: no retry. The reason is for the log.
        raise error(f"Ritmo refused to call the LMS at this address: {refused}",
                    transient=False) from refused
    except requests.Timeout as timed_out:
        raise error("The LMS did not answer in time.", transient=True) from timed_out
    except requests.RequestException as failed:
        raise error(f"Could not reach the LMS ({type(failed).__name__}).", transient=True) from failed
    if response.status_code < 400:
        return response
    status = response.status_code
    raise error(
        f"The LMS answered {status}: {platform_message(response)}", status=status,
        transient=status >= 500 or status in (408, 429),
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        token_rejected=status == 401 and token is not None,
    )


def platform_message(response: Answer) -> str:
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


_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"rel\s*=\s*(.*)", re.IGNORECASE)
# Quotes of any style, even UTF-8 read as latin-1 ("â\x80\x9c"), fall away: keep only the rel tokens.
_REL_TOKEN = re.compile(r"[a-z0-9.:/-]+")


def next_page_url(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, whatever quotes and case the platform used.

    The URL is returned verbatim: lower-casing it would break context ids such as ``CourseA``.
    """
    if not link_header:
        return None
    for url, params in _LINK_VALUE.findall(link_header):
        for param in params.split(";"):
            found = _REL.search(param.strip())
            if found and "next" in _REL_TOKEN.findall(found.group(1).lower()):
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
