"""The platform's RSA signing key, its JWKS and a JWT signing helper."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    """RSA public key as a JWK dict (kty, n, e only)."""
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(public_key))
    return {"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint: the same key always gets the same kid."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class PlatformKey:
    """Holds the private key; generates an RSA 2048 key when none is configured."""

    def __init__(self, private_key_pem: str | bytes | None = None, kid: str | None = None):
        if private_key_pem:
            pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
            loaded = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError("private_key_pem must be an RSA private key")
            self.private_key = loaded
        else:
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._jwk = public_jwk(self.private_key.public_key())
        self.kid = kid or jwk_thumbprint(self._jwk)

    @property
    def private_key_pem(self) -> bytes:
        """PEM of the private key (lets tests restart a demo with the same key)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwks(self) -> dict[str, Any]:
        """Public key set served at /demo/jwks."""
        return {"keys": [{**self._jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def sign(
        self,
        claims: Mapping[str, Any],
        kid: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign claims as an RS256 JWT; `kid` may be overridden to mint bad tokens."""
        header = {"kid": kid or self.kid, **(headers or {})}
        return jwt.encode(dict(claims), self.private_key, algorithm="RS256", headers=header)
