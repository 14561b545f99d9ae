"""Platform public keys, looked up by ``kid``.

A platform's JWKS is fetched once and kept (parsed) in the process for ``PLATFORM_JWKS_TTL_SECONDS``;
a token signed with a ``kid`` we do not know triggers one refetch (platforms rotate keys), at most
once per ``PLATFORM_JWKS_REFETCH_SECONDS`` per URL so a forged ``kid`` cannot make us hammer the LMS.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import current_app
from jwt.algorithms import RSAAlgorithm

from lti_tool import http


class KeySetError(Exception):
    """The platform's key set could not be used; the message says why, for the admin's log."""


@dataclass
class _KeySet:
    fetched_at: float
    keys: dict[str, RSAPublicKey] = field(default_factory=dict)


_lock = threading.Lock()
_sets: dict[str, _KeySet] = {}


def _parse(jwks: Any, url: str) -> dict[str, RSAPublicKey]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise KeySetError(f"{url} did not answer a JSON Web Key Set")
    keys: dict[str, RSAPublicKey] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
            continue
        try:
            key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except (ValueError, TypeError, KeyError):
            continue
        if isinstance(key, RSAPublicKey):
            keys[jwk["kid"]] = key
    return keys


def _fetch(url: str) -> _KeySet:
    # The guarded client: a key set URL came from a registration, so it may point anywhere.
    try:
        response = http.request("GET", url, headers={"Accept": "application/json"})
    except requests.RequestException as error:
        raise KeySetError(f"fetching the key set at {url} failed: {error}") from error
    if response.status_code != 200:
        raise KeySetError(f"the key set at {url} answered HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError as error:
        raise KeySetError(f"the key set at {url} is not JSON") from error
    return _KeySet(fetched_at=time.monotonic(), keys=_parse(payload, url))


def public_key(key_set_url: str, kid: str) -> RSAPublicKey:
    """The platform key named ``kid``; raises :class:`KeySetError` if the platform has none."""
    ttl = current_app.config["PLATFORM_JWKS_TTL_SECONDS"]
    refetch_gap = current_app.config["PLATFORM_JWKS_REFETCH_SECONDS"]
    now = time.monotonic()
    cached = _sets.get(key_set_url)
    if cached and now - cached.fetched_at < ttl and kid in cached.keys:
        return cached.keys[kid]
    with _lock:
        cached = _sets.get(key_set_url)
        stale = cached is None or now - cached.fetched_at >= ttl
        may_refetch = cached is None or now - cached.fetched_at >= refetch_gap
        if stale or (kid not in cached.keys and may_refetch):  # type: ignore[union-attr]
            cached = _sets[key_set_url] = _fetch(key_set_url)
    assert cached is not None
    if kid not in cached.keys:
        raise KeySetError(f"the platform's key set at {key_set_url} has no RS256 key {kid!r}")
    return cached.keys[kid]


def forget(key_set_url: str | None = None) -> None:
    """Drop cached keys (tests, or an admin who knows the platform rotated)."""
    with _lock:
        if key_set_url is None:
            _sets.clear()
        else:
            _sets.pop(key_set_url, None)
