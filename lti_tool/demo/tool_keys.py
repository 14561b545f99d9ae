"""Fetches and caches the tool's public keys (JWKS) to verify its JWTs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import jwt
import requests


class ToolKeyError(Exception):
    """The tool's key could not be found or fetched."""


class ToolKeySet:
    """Cache keyed by kid; an unknown kid triggers one refetch (key rotation)."""

    def __init__(
        self, jwks_url: str, on_fetch: Callable[[], None] | None = None, timeout: float = 5
    ):
        self.jwks_url = jwks_url
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._on_fetch = on_fetch
        self._timeout = timeout

    def _fetch(self) -> None:
        if self._on_fetch:
            self._on_fetch()
        try:
            resp = requests.get(self.jwks_url, timeout=self._timeout)
            resp.raise_for_status()
            data = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise ToolKeyError(
                f"could not fetch the tool JWKS from {self.jwks_url}: {exc}"
            ) from exc
        keys: dict[str, Any] = {}
        for jwk in data.get("keys", []) if isinstance(data, dict) else []:
            kid = jwk.get("kid")
            if not kid or jwk.get("kty") != "RSA":
                continue  # only kid-addressable RSA keys are usable for RS256
            try:
                keys[kid] = jwt.PyJWK(jwk, algorithm="RS256").key
            except jwt.PyJWKError:
                continue
        self._keys = keys

    def key_for(self, token: str) -> Any:
        """Public key matching the token header's kid."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise ToolKeyError(f"malformed JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise ToolKeyError(f"unsupported alg {header.get('alg')!r}; RS256 is required")
        kid = header.get("kid")
        if not kid:
            raise ToolKeyError("JWT header has no kid")
        with self._lock:
            if kid not in self._keys:
                self._fetch()
            if kid not in self._keys:
                raise ToolKeyError(f"kid {kid!r} is not in the tool JWKS")
            return self._keys[kid]
