"""Service access tokens: the client-credentials grant and the cache every process shares.

A token is asked for with a ``private_key_jwt`` assertion signed by Ritmo's key, per platform and
scope set. The shared cache (database or Redis) holds it until shortly before it expires; a short
lock in the same cache makes sure that when it expires only one process asks the platform for a new
one while the others wait for it. Every service call (AGS, NRPS) starts here, so a pending or
disabled platform gets none.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from flask import current_app

from lti_tool import http
from lti_tool.cache import cache
from lti_tool.launch import keys
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.lti_services.errors import AccessTokenError
from lti_tool.lti_services.transport import call

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300
# Stop using a token this long before the platform says it expires (clock drift, slow requests).
EXPIRY_MARGIN_SECONDS = 60
FETCH_LOCK_SECONDS = 20
WAIT_FOR_OTHER_FETCH_SECONDS = 15.0
# The cache key's prefix predates this package; kept so running processes share their tokens
# across an upgrade.
CACHE_PREFIX = "grades:token"


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


def client_assertion(endpoint: TokenEndpoint, key: keys.SigningKey) -> str:
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
    session: http.Client, endpoint: TokenEndpoint, key: keys.SigningKey, scopes: tuple[str, ...],
    timeout: Any,
) -> AccessToken:
    """Ask the platform's token endpoint for a new token (no cache); raises :class:`AccessTokenError`."""
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(endpoint, key),
        "scope": " ".join(scopes),
    }
    response = call(session, "POST", endpoint.token_url, timeout, error=AccessTokenError, data=form)
    try:
        body = response.json()
        return AccessToken(str(body["access_token"]), int(body.get("expires_in") or 3600))
    except (ValueError, KeyError, TypeError) as error:
        raise AccessTokenError("The LMS answered the token request without an access token.",
                               status=response.status_code, transient=True) from error


_memo: dict[str, tuple[str, float]] = {}
_memo_lock = threading.Lock()


def _key(platform_id: int, scopes: tuple[str, ...]) -> str:
    digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
    return f"{CACHE_PREFIX}:{platform_id}:{digest}"


def access_token(platform: Platform, scopes: tuple[str, ...]) -> str:
    """A valid bearer token for ``scopes`` on ``platform``; raises :class:`AccessTokenError`."""
    if platform.status is not PlatformStatus.ACTIVE:
        raise AccessTokenError(
            f"The platform registration is {platform.status.value}: Ritmo calls its services only "
            "once it is active ('lti-tool platform approve ID' for a pending one).",
            transient=False,
        )
    key = _key(platform.id, scopes)
    with _memo_lock:
        memo = _memo.get(key)
    if memo and memo[1] > time.time():
        return memo[0]
    shared = cache()
    deadline = time.monotonic() + WAIT_FOR_OTHER_FETCH_SECONDS
    while True:
        found = shared.get(key)
        if found and found.get("expires_at", 0) > time.time():
            _remember(key, found["token"], found["expires_at"])
            return str(found["token"])
        if shared.add(key + ":lock", {"at": time.time()}, FETCH_LOCK_SECONDS):
            try:
                return _fetch(platform, scopes, key)
            finally:
                shared.delete(key + ":lock")
        if time.monotonic() > deadline:
            # The fetching process may have died holding the lock: fetch ourselves.
            return _fetch(platform, scopes, key)
        time.sleep(0.05)


def forget(platform_id: int, scopes: tuple[str, ...], token: str | None = None) -> None:
    """Drop a token the platform rejected (401), so the next call fetches a new one."""
    key = _key(platform_id, scopes)
    with _memo_lock:
        memo = _memo.get(key)
        if token is None or (memo and memo[0] == token):
            _memo.pop(key, None)
    found = cache().get(key)
    if found and (token is None or found.get("token") == token):
        cache().delete(key)


def _fetch(platform: Platform, scopes: tuple[str, ...], key: str) -> str:
    endpoint = TokenEndpoint(
        client_id=platform.client_id, token_url=platform.auth_token_url,
        audience=platform.token_audience,
    )
    token = request_token(
        http.client(), endpoint, keys.signing_key(), scopes, current_app.config["HTTP_TIMEOUT_SECONDS"]
    )
    ttl = max(1, token.expires_in - EXPIRY_MARGIN_SECONDS)
    expires_at = time.time() + ttl
    cache().set(key, {"token": token.value, "expires_at": expires_at}, ttl)
    _remember(key, token.value, expires_at)
    return token.value


def _remember(key: str, token: str, expires_at: float) -> None:
    with _memo_lock:
        _memo[key] = (token, expires_at)


def clear_memo() -> None:
    """Forget this process's copies (tests that start a fresh platform)."""
    with _memo_lock:
        _memo.clear()
