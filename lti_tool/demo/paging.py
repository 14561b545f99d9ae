"""Shared helpers for paged JSON services (AGS line items/results, NRPS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import quote, urlencode

from flask import Response, jsonify, request

from .platform import get_platform

T = TypeVar("T")
MAX_LIMIT = 1000


class BadRequest(ValueError):
    """Invalid client input, answered as a 400 JSON error."""


def api_error(status: int, error: str, description: str) -> Response:
    resp = jsonify(error=error, error_description=description)
    resp.status_code = status
    return resp


def page_params() -> tuple[int | None, int]:
    """(limit, page) from the query string; page is 1-based."""
    try:
        limit = int(request.args["limit"]) if "limit" in request.args else None
        page = int(request.args.get("page", "1"))
    except ValueError as exc:
        raise BadRequest("limit and page must be integers") from exc
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if page < 1:
        raise BadRequest("page must be >= 1")
    return limit, page


def paginate(items: Sequence[T], limit: int | None, page: int) -> tuple[list[T], bool]:
    """Slice one page; the bool tells whether a next page exists."""
    if limit is None:
        return list(items), False
    start = (page - 1) * limit
    return list(items[start : start + limit]), start + limit < len(items)


def next_link(page: int) -> str:
    """Link header value for the next page, keeping the exact path and query order."""
    platform = get_platform()
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    args.append(("page", str(page + 1)))
    # Built from the request path verbatim: "CourseA" must keep its capitals.
    url = platform.url(quote(request.path)) + "?" + urlencode(args)
    mode = platform.config.link_header_quirk
    odd = next(platform.link_counter) % 2 == 1
    if mode == "always" or (mode == "alternate" and odd):
        # Moodle sends typographic quotes as raw UTF-8; WSGI headers are latin-1 strings,
        # so smuggle the UTF-8 bytes through to reproduce the wire format exactly.
        return f"<{url}>; rel=\u201cnext\u201d".encode().decode("latin-1")
    return f'<{url}>; rel="next"'
