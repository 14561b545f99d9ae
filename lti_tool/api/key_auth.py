"""Calls made with an API key: who the key is, what it may do, how often, and the record of each.

A view under ``/api/platform/...`` says which scopes it needs::

    @bp.get("/api/platform/programmes")
    @document("List the platform's programmes", tags=("platform",), auth=("apiKey",),
              scopes=("programmes:read",), responses={200: PlatformProgrammesOut})
    @key_required("programmes:read")
    def programmes(): ...

The key arrives in the ``X-API-Key`` header. Missing, unknown, revoked or expired: 401 with
``WWW-Authenticate``; without a scope the view needs: 403 naming it; past ``RATELIMIT_API_KEY``
calls a minute: 429 with ``Retry-After``. What belongs to another platform is the view's to hide
(404, as if it did not exist). Every call that presented a key is recorded once it is answered,
refused ones included (``keys.ApiKeyUse``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_babel import gettext as _

from lti_tool import ratelimit
from lti_tool.api import keys, keys_cli
from lti_tool.db import db
from lti_tool.errors import Forbidden
from lti_tool.jobs import register_task

log = logging.getLogger(__name__)

HEADER = "X-API-Key"
# Marks views that take a key, so a write's sender is known before its body is read (``limits``).
REQUIRES_KEY = "ritmo_requires_key"
_PRINCIPAL = "ritmo.api_key"
_USE = "ritmo.api_key_use"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class KeyPrincipal:
    """The system calling: its key, the one platform whose data it may reach, and its scopes."""

    key_id: int
    platform_id: int
    scopes: frozenset[str]
    name: str


def current_key() -> KeyPrincipal:
    """The key of this request (checked once per request, and counted against its rate limit)."""
    # Kept on the request, not ``g``: an application context can outlive a request (tests, CLI).
    principal: KeyPrincipal | None = request.environ.get(_PRINCIPAL)
    if principal is not None:
        return principal
    raw = request.headers.get(HEADER, "")
    if not raw.strip():
        raise keys.KeyRefused(_("Send your API key in the X-API-Key header."))
    request.environ[_USE] = (None, (keys.split(raw) or ("",))[0])  # recorded even if refused below
    try:
        key = keys.authenticate(raw)
    except keys.KeyRefused:
        # Guessing costs the guesser: unknown keys count per address.
        who = request.remote_addr or "unknown"
        ratelimit.hit(f"api-key-refused:{who}", current_app.config["RATELIMIT_API_KEY"])
        raise
    request.environ[_USE] = (key.id, key.prefix)
    ratelimit.hit(f"api-key:{key.id}", current_app.config["RATELIMIT_API_KEY"])
    principal = KeyPrincipal(key.id, key.platform_id, frozenset(key.scopes), key.name)
    request.environ[_PRINCIPAL] = principal
    return principal


def key_required(*scopes: str) -> Callable[[F], F]:
    """Let the view run only for a valid key holding every one of ``scopes``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_key()
            missing = [scope for scope in scopes if scope not in principal.scopes]
            if missing:
                raise Forbidden(
                    _("This API key lacks the scope %(s)s; ask your Ritmo admin for a key that has it.",
                      s=", ".join(missing)),
                    missing_scopes=missing,
                )
            return view(*args, **kwargs)

        setattr(wrapper, REQUIRES_KEY, scopes)
        return wrapper  # type: ignore[return-value]

    return decorate


def requires_key(view: Any) -> bool:
    return getattr(view, REQUIRES_KEY, None) is not None


_PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def _recorded_path() -> str:
    """The route with its numeric ids filled in, and ``{name}`` for text (a person's LMS id)."""
    rule = request.url_rule
    if rule is None:
        return request.path
    values = request.view_args or {}

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return str(value) if isinstance(value, int) else "{" + match.group(1) + "}"

    return _PLACEHOLDER.sub(fill, rule.rule)


def _record(response: Any) -> Any:
    use = request.environ.pop(_USE, None)
    if use is None:
        return response
    key_id, prefix = use
    if response.status_code >= 500:
        db.session.rollback()  # what failed may have left the transaction unusable
    try:
        keys.record_use(key_id, prefix, request.method, _recorded_path(), response.status_code)
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record a call made with API key %s", prefix or "(unknown)")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_record)
    register_task(keys.PURGE_TASK, keys.purge_task)
    app.cli.add_command(keys_cli.apikey_cli)
