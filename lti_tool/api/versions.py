"""The version rule: ``/api/v1/...`` is the stable contract, and ``/api/...`` stays what the pages call.

A request to ``/api/v1/<rest>`` is served exactly as ``/api/<rest>`` (:class:`VersionedPaths`
rewrites the path before routing, so there is one route per operation and one set of checks);
every ``/api`` response says which version answered (``Ritmo-API-Version``); a version Ritmo does
not have (``/api/v2/...``) is a 404 that names the ones it has (``views.unknown_version``).
Deprecated operations announce it on every response: ``Deprecation`` (RFC 9745) and, once a date
is set, ``Sunset`` (RFC 8594). The rule for changing the contract is in ``docs/api.md``.
"""

from __future__ import annotations

import re
from calendar import timegm
from datetime import date
from email.utils import formatdate
from typing import Any

from flask import Flask, Response, current_app, request

from lti_tool.api.spec import Operation, operation_of
from lti_tool.errors import NotFound
from lti_tool.web import MAX_ID

CURRENT = 1
SUPPORTED = (1,)
HEADER = "Ritmo-API-Version"
#: The largest id a path takes: ids are 32-bit integer columns; a larger number names nothing.
_VERSIONED = re.compile(r"^/api/v(?P<version>\d{1,9})(?P<rest>/.*)?$")  # longer: not a version
ORIGINAL_PATH = "ritmo.api_path"  # the environ key keeping the path as the client sent it


def versioned(path: str) -> str:
    """A route's path as the document names it: ``/api/x`` -> ``/api/v1/x``."""
    return f"/api/v{CURRENT}" + path.removeprefix("/api")


class VersionedPaths:
    """WSGI middleware: ``/api/v1/<rest>`` is ``/api/<rest>``; other versions reach the refusal."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        match = _VERSIONED.match(path)
        if match and int(match["version"]) in SUPPORTED:
            environ[ORIGINAL_PATH] = path
            environ["PATH_INFO"] = "/api" + (match["rest"] or "/")
        return self.wsgi_app(environ, start_response)


def refuse_impossible_ids() -> None:
    """An id in a path past :data:`MAX_ID` names no row: 404, before a query the database would
    refuse. Checked after routing rather than in the ``int`` converter: a converter's refusal
    makes Werkzeug answer 405 where another method's rule shares the path."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_ID:
            raise NotFound()


def add_headers(response: Response) -> Response:
    """The version on every ``/api`` response; the deprecation of a deprecated operation."""
    if not request.path.startswith("/api/") and request.path != "/api":
        return response
    response.headers[HEADER] = str(CURRENT)
    view = current_app.view_functions.get(request.endpoint or "")
    operation = operation_of(view) if view is not None else None
    if operation is not None and operation.deprecated:
        response.headers.update(deprecation_headers(operation))
    return response


def deprecation_headers(operation: Operation) -> dict[str, str]:
    """``Deprecation: @<Unix time>`` and, with a sunset date, ``Sunset: <HTTP date>``."""
    assert isinstance(operation.deprecated, date)
    headers = {"Deprecation": f"@{_unix(operation.deprecated)}"}
    if operation.sunset is not None:
        headers["Sunset"] = formatdate(_unix(operation.sunset), usegmt=True)
    return headers


def _unix(day: date) -> int:
    return timegm(day.timetuple())


def init_app(app: Flask) -> None:
    """Install the path rewrite, the check of ids and the headers."""
    app.wsgi_app = VersionedPaths(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(refuse_impossible_ids)
    app.after_request(add_headers)
