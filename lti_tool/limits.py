"""What a request may cost before Ritmo does any work for it.

* Size: a JSON body may be ``REQUEST_MAX_JSON_BYTES``, a form ``REQUEST_MAX_FORM_BYTES``; only
  views marked :func:`accepts_upload` take a file, up to their own limit. Past it, 413 before the
  body is read (``Content-Length``) or as soon as it is (chunked).
* Who: a view that needs a session (``identity.session.login_required``) learns who is asking before
  a large body is read. A Bearer header is checked first; a form field can only be read from the
  body, so without the header a form is read only up to the form limit, and an upload form only
  up to ``REQUEST_MAX_UNAUTHENTICATED_BYTES``, where the ``ritmo_session`` field must come before
  the file (Ritmo's upload forms put it first). A view that takes an API key
  (``api.key_auth.key_required``) checks the ``X-API-Key`` header, and counts the call against
  the key's ``RATELIMIT_API_KEY``, before it reads any body.
* JSON: a body that says it is JSON and is not, or nests deeper than :data:`MAX_JSON_DEPTH`, is a
  400 wherever it is read (:class:`RitmoRequest`), even where a view asked ``silent=True``.
* Writes: every POST/PUT/PATCH/DELETE of a signed-in person counts against their
  ``RATELIMIT_WRITES`` per minute (uploads against ``RATELIMIT_UPLOADS`` as well), keyed by person,
  not address; views add stricter limits of their own (``ratelimit.limit``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask import Request as FlaskRequest
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from lti_tool import ratelimit
from lti_tool.api import key_auth
from lti_tool.errors import NotAuthenticated, RitmoError, error_response
from lti_tool.identity import session

F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOAD_ATTRIBUTE = "ritmo_upload_limit"
# Deeper than any document Ritmo takes; well inside the recursion limit of every consumer.
MAX_JSON_DEPTH = 64
# Room for an upload form's other fields around the file itself.
FORM_ROOM = 64 * 1024


class MalformedJson(RitmoError):
    status = 400
    title = _l("Invalid JSON")
    default_detail = _l("The request body is not valid JSON. Send a JSON document and try again.")


# -- marking views --------------------------------------------------------------------------------


def accepts_upload(max_bytes: int | str) -> Callable[[F], F]:
    """Mark a view that takes a file of up to ``max_bytes`` (bytes, or the name of a setting).
    Put it under the route decorator."""

    def mark(view: F) -> F:
        setattr(view, UPLOAD_ATTRIBUTE, max_bytes)
        return view

    return mark


def _view(req: FlaskRequest) -> Any:
    return current_app.view_functions.get(req.endpoint or "")


def upload_limit(view: Any) -> int | None:
    marked = getattr(view, UPLOAD_ATTRIBUTE, None)
    if marked is None:
        return None
    return int(current_app.config[marked]) if isinstance(marked, str) else int(marked)


def body_limit(req: FlaskRequest) -> int:
    """The largest body this request may have, by what it is and where it goes."""
    config = current_app.config
    if req.is_json:
        return int(config["REQUEST_MAX_JSON_BYTES"])
    form = int(config["REQUEST_MAX_FORM_BYTES"])
    if req.mimetype == "application/x-www-form-urlencoded":
        return form
    upload = upload_limit(_view(req)) if req.url_rule is not None else None
    return form if upload is None else upload + FORM_ROOM


# -- the request ----------------------------------------------------------------------------------


class RitmoRequest(FlaskRequest):
    """Flask's request with Ritmo's body limits and strict JSON."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        return body_limit(self)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        # ``silent`` spares a view a body that is not JSON at all; a body that says it is JSON
        # and is not is the client's mistake, and a 400 tells them so.
        if not (force or self.is_json):
            return super().get_json(force=force, silent=silent, cache=cache)
        try:
            value = super().get_json(force=force, silent=False, cache=cache)
        except RecursionError as error:
            raise MalformedJson(_("The JSON document nests too deeply.")) from error
        if _deeper_than(value, MAX_JSON_DEPTH):
            raise MalformedJson(_("The JSON document nests too deeply."))
        return value

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not JSON and not forced: Flask's 415
            return super().on_json_loading_failed(e)
        raise MalformedJson() from e


def _deeper_than(value: Any, limit: int) -> bool:
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# -- who is asking, and how often -----------------------------------------------------------------


def guard() -> None:
    """Before a view that needs a session reads a write's body: who is it, and may they write?"""
    if request.method in SAFE_METHODS or request.url_rule is None:
        return
    view = _view(request)
    if key_auth.requires_key(view):
        key_auth.current_key()  # a system: its key is its session, checked from the header alone
        return
    if not getattr(view, session.REQUIRES_SESSION, False):
        return
    upload = upload_limit(view) is not None and not request.is_json
    ctx = _authenticate_first(upload)
    person = f"{ctx.platform_id}:{ctx.user_id}"
    ratelimit.hit(f"writes:{person}", current_app.config["RATELIMIT_WRITES"])
    if upload:
        ratelimit.hit(f"uploads:{person}", current_app.config["RATELIMIT_UPLOADS"])


def _authenticate_first(upload: bool) -> Any:
    if request.headers.get("Authorization", "").startswith("Bearer ") or not (
        upload and request.mimetype == "multipart/form-data"
    ):
        # The header costs no body; a form or JSON body is within its (small) limit.
        return session.current_context()
    token = _session_field_before_file()
    if not token:
        raise NotAuthenticated(
            _("Ritmo could not tell who sent this file. Open Ritmo again from your course and "
              "send it from Ritmo's own page.")
        )
    ctx = g.launch_context = session.read_token(token)
    g.session_token = token
    return ctx


def _session_field_before_file() -> str | None:
    """Read the start of a multipart body, at most ``REQUEST_MAX_UNAUTHENTICATED_BYTES``, for a
    ``ritmo_session`` field that comes before any file; what was read is put back for the form
    parser."""
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    environ = request.environ
    length = request.content_length
    if not boundary or (length is None and "wsgi.input_terminated" not in environ):
        return None
    limit = request.max_content_length
    if length is not None and limit is not None and length > limit:
        raise RequestEntityTooLarge()
    budget = int(current_app.config["REQUEST_MAX_UNAUTHENTICATED_BYTES"])
    want = budget if length is None else min(budget, length)
    rest = environ["wsgi.input"]
    head = _read_up_to(rest, want)
    environ["wsgi.input"] = _Replay(head, rest)
    decoder = MultipartDecoder(boundary, max_form_memory_size=budget)
    decoder.receive_data(head)
    if length is not None and len(head) >= length:
        decoder.receive_data(None)
    name: str | None = None
    value = bytearray()
    while True:
        try:
            event = decoder.next_event()
        except (ValueError, RequestEntityTooLarge):
            return None  # malformed or a huge field: the form parser will say what is wrong
        if isinstance(event, File | NeedData | Epilogue):
            return None
        if isinstance(event, Field):
            name, value = event.name, bytearray()
        elif isinstance(event, Data) and name == session.FORM_FIELD:
            value += event.data
            if not event.more_data:
                return value.decode("utf-8", "replace").strip() or None


def _read_up_to(stream: Any, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class _Replay(io.RawIOBase):
    """``head`` again, then the rest of the original input."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# -- wiring ---------------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{max(1, n // 1024)} KB"


def init_app(app: Flask) -> None:
    app.request_class = RitmoRequest
    app.before_request(guard)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Any:
        limit = request.max_content_length
        detail = (
            _("What you sent is larger than Ritmo accepts here (at most %(size)s). Send less, or a "
              "smaller file.", size=_size(limit))
            if limit else _("What you sent is larger than Ritmo accepts here. Send less, or a smaller file.")
        )
        return error_response(413, _("Too large"), detail)
