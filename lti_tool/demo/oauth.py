"""OAuth2 client-credentials token endpoint (RFC 7523 JWT client assertion) and bearer checks.

Named oauth.py rather than token.py so running a module from this folder never
shadows the stdlib `token` module.
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import jwt
from flask import Blueprint, Response, jsonify, request

from .platform import AGS_SCOPES, NRPS_SCOPE, get_platform
from .tool_keys import ToolKeyError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALLOWED_SCOPES = frozenset([*AGS_SCOPES, NRPS_SCOPE])

bp = Blueprint("demo_oauth", __name__)


@dataclass(frozen=True)
class AccessToken:
    token: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class TokenStore:
    """Issued access tokens and used assertion jtis (single use), in memory."""

    def __init__(self, ttl: int = 3600):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}
        self._jtis: dict[str, float] = {}

    def issue(self, client_id: str, scopes: frozenset[str]) -> AccessToken:
        tok = AccessToken(secrets.token_urlsafe(32), client_id, scopes, time.time() + self.ttl)
        with self._lock:
            self._tokens[tok.token] = tok
        return tok

    def lookup(self, token: str) -> AccessToken | None:
        with self._lock:
            tok = self._tokens.get(token)
            if tok and tok.expires_at < time.time():
                del self._tokens[token]
                return None
            return tok

    def revoke_all(self) -> None:
        """Lets tests simulate a platform that forgets tokens (tool must re-fetch)."""
        with self._lock:
            self._tokens.clear()

    def use_jti(self, jti: str, exp: float) -> bool:
        """Record a jti; False if it was already used (replay)."""
        now = time.time()
        with self._lock:
            # Forget jtis whose assertion has expired anyway: they cannot be replayed.
            for old in [j for j, e in self._jtis.items() if e < now - 60]:
                del self._jtis[old]
            if jti in self._jtis:
                return False
            self._jtis[jti] = exp
            return True


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """RFC 6749 §5.2 error body."""
    resp = jsonify(error=error, error_description=description)
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="ritmo-demo"'
    return resp


@bp.before_request
def _inject_faults() -> Response | None:
    platform = get_platform()
    platform.stats.incr("token_requests")
    return platform.faults.check("token")


@bp.post("/demo/token")
def token() -> Response:
    """Exchange a tool-signed client assertion for a bearer access token."""
    platform = get_platform()
    cfg = platform.config
    form = request.form
    if form.get("grant_type") != "client_credentials":
        return _fail("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        return _fail("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion", "")
    if not assertion:
        return _fail("invalid_request", "client_assertion is required")
    requested = frozenset(form.get("scope", "").split())
    if not requested:
        return _fail("invalid_scope", "scope is required")
    unknown = requested - ALLOWED_SCOPES
    if unknown:
        return _fail("invalid_scope", f"scope(s) not allowed: {' '.join(sorted(unknown))}")

    # Who is the client? Failures here are invalid_client (401).
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.DecodeError as exc:
        return _fail("invalid_client", f"client_assertion is not a JWT: {exc}", 401)
    if unverified.get("iss") != cfg.client_id or unverified.get("sub") != cfg.client_id:
        return _fail("invalid_client", "iss and sub must both equal the client_id", 401)
    try:
        key = platform.tool_keys.key_for(assertion)
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
        )
    except ToolKeyError as exc:
        return _fail("invalid_client", str(exc), 401)
    except jwt.InvalidTokenError as exc:
        return _fail("invalid_client", f"client_assertion signature invalid: {exc}", 401)

    # The assertion itself is bad: invalid_grant (400).
    try:
        jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            audience=platform.token_url,
            leeway=5,
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
        )
    except jwt.InvalidAudienceError:
        return _fail("invalid_grant", f"aud must be the token URL {platform.token_url}")
    except jwt.InvalidTokenError as exc:
        return _fail("invalid_grant", f"client_assertion rejected: {exc}")
    if not platform.tokens.use_jti(str(claims["jti"]), float(claims["exp"])):
        return _fail("invalid_grant", "client_assertion jti was already used (replay)")

    tok = platform.tokens.issue(cfg.client_id, requested)
    platform.stats.incr("tokens_issued")
    resp = jsonify(
        access_token=tok.token,
        token_type="Bearer",  # noqa: S106 - a token type, not a secret
        expires_in=platform.tokens.ttl,
        scope=" ".join(sorted(requested)),
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _fail(error: str, description: str, status: int = 400) -> Response:
    get_platform().stats.incr("token_errors")
    return oauth_error(error, description, status)


F = TypeVar("F", bound=Callable[..., Any])


def require_scope(*accepted: str) -> Callable[[F], F]:
    """Require a bearer token holding at least one of the accepted scopes."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return oauth_error("invalid_token", "a Bearer access token is required", 401)
            tok = get_platform().tokens.lookup(value.strip())
            if tok is None:
                return oauth_error("invalid_token", "access token unknown or expired", 401)
            if not tok.scopes & set(accepted):
                resp = oauth_error(
                    "insufficient_scope", f"requires one of: {' '.join(accepted)}", 403
                )
                resp.headers["WWW-Authenticate"] = (
                    f'Bearer error="insufficient_scope", scope="{" ".join(accepted)}"'
                )
                return resp
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
