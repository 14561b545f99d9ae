"""Access tokens per platform and scope, cached until they expire and shared by every process.

The shared cache (database or Redis) holds the token; a short lock in the same cache makes sure that
when it expires only one process asks the platform for a new one while the others wait for it.
"""

from __future__ import annotations

import hashlib
import threading
import time

from flask import current_app

from lti_tool import http
from lti_tool.cache import cache
from lti_tool.grades import ags
from lti_tool.launch import keys
from lti_tool.launch.models import Platform, PlatformStatus

# Stop using a token this long before the platform says it expires (clock drift, slow requests).
EXPIRY_MARGIN_SECONDS = 60
FETCH_LOCK_SECONDS = 20
WAIT_FOR_OTHER_FETCH_SECONDS = 15.0

_memo: dict[str, tuple[str, float]] = {}
_memo_lock = threading.Lock()


def _key(platform_id: int, scopes: tuple[str, ...]) -> str:
    digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
    return f"grades:token:{platform_id}:{digest}"


def access_token(platform: Platform, scopes: tuple[str, ...] = ags.DELIVERY_SCOPES) -> str:
    """A valid bearer token for ``scopes`` on ``platform``; raises :class:`ags.AgsError`.

    Every service call (AGS, NRPS) starts here, so a pending or disabled platform gets none.
    """
    if platform.status is not PlatformStatus.ACTIVE:
        raise ags.AgsError(
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


def forget(platform_id: int, scopes: tuple[str, ...] = ags.DELIVERY_SCOPES, token: str | None = None) -> None:
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
    endpoint = ags.TokenEndpoint(
        client_id=platform.client_id, token_url=platform.auth_token_url,
        audience=platform.token_audience,
    )
    token = ags.request_token(
        http.client(), endpoint, keys.signing_key(), scopes,
        current_app.config["HTTP_TIMEOUT_SECONDS"],
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
