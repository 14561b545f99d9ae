"""OIDC login state that the server keeps nowhere until the launch spends it.

The ``state`` a login hands to the platform (and sets as a cookie) is signed by Ritmo: it names the
platform the login was for, whether the platform keeps the state for the browser (LTI Platform
Storage), and when it was issued; the ``nonce`` is derived from it. A login therefore writes nothing
(logins cannot fill the shared cache, and cost no round trip to it). The launch checks the
signature and age here, then spends the state in the shared cache, once for every server process
(see ``Launch.validate_state_and_nonce``): a state, and with it its nonce, is good for one launch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from flask import current_app

_LABEL = b"ritmo-login-state-v1"


@dataclass(frozen=True)
class LoginState:
    platform_id: int
    storage: bool
    issued_at: int
    nonce: str
    # What the shared cache remembers of a spent state (short, and no secret).
    spent_key: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _key() -> bytes:
    # One per secret: derived, so that a state's MAC can never be mistaken for another token's.
    secret = current_app.config["SECRET_KEY"]
    kept = current_app.extensions.get("ritmo_login_state_key")
    if kept is None or kept[0] != secret:
        derived = hmac.new(str(secret).encode(), _LABEL, hashlib.sha256).digest()
        kept = current_app.extensions["ritmo_login_state_key"] = (secret, derived)
    return kept[1]


def _mac(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def issue(platform_id: int, storage: bool, now: float | None = None) -> str:
    """A new state for a login to ``platform_id``: ``<random>.<platform>.<storage>.<time>.<mac>``."""
    issued = int(time.time() if now is None else now)
    body = f"{secrets.token_urlsafe(16)}.{platform_id}.{int(storage)}.{issued}"
    return f"{body}.{_mac(_key(), body)}"


def nonce_for(state: str) -> str:
    """The nonce that goes with ``state`` (the platform echoes it in the id_token)."""
    return _mac(_key(), "nonce:" + state)


def read(state: str, now: float | None = None) -> LoginState | None:
    """The state's contents if Ritmo issued it and it has not expired; None otherwise. Says nothing
    about whether it was already spent."""
    body, _, mac = state.rpartition(".")
    parts = body.split(".")
    if len(parts) != 4 or not hmac.compare_digest(mac.encode(), _mac(_key(), body).encode()):
        return None
    _random, platform, storage, issued = parts
    try:
        platform_id, issued_at = int(platform), int(issued)
    except ValueError:
        return None
    age = (time.time() if now is None else now) - issued_at
    leeway = current_app.config["JWT_LEEWAY_SECONDS"]
    if not -leeway <= age <= current_app.config["LOGIN_STATE_TTL_SECONDS"]:
        return None
    return LoginState(
        platform_id=platform_id,
        storage=storage == "1",
        issued_at=issued_at,
        nonce=nonce_for(state),
        spent_key="state-spent:" + mac[:22],
    )


def spent_ttl() -> int:
    """How long a spent state must be remembered: until it would have expired anyway."""
    return int(current_app.config["LOGIN_STATE_TTL_SECONDS"]) + int(
        current_app.config["JWT_LEEWAY_SECONDS"]
    ) + 1
