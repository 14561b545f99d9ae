"""Ritmo's own signing keys: created on first use, rotated on request, published as a JWKS.

Private keys live in the database, encrypted with a key derived from the installation's secret, so
every server process and host signs with the same key and nothing secret is ever written to the
repository or a log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from jwt.algorithms import RSAAlgorithm

from lti_tool.db import db, utcnow
from lti_tool.launch.models import ToolKey

KEY_SIZE = 2048


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


_lock = threading.Lock()
_signing_cache: dict[str, SigningKey] = {}


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    derived = hashlib.sha256(b"ritmo-tool-keys:" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def public_jwk(private_key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


def create_key() -> ToolKey:
    """Generate a key pair and add it to the session (the caller commits)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    kid = secrets.token_urlsafe(16)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = ToolKey(
        kid=kid,
        private_key_encrypted=_fernet().encrypt(pem),
        public_jwk=public_jwk(private_key, kid),
    )
    db.session.add(key)
    return key


def _active_keys() -> list[ToolKey]:
    now = utcnow()
    return list(
        db.session.execute(
            sa.select(ToolKey)
            .where(sa.or_(ToolKey.expires_at.is_(None), ToolKey.expires_at > now))
            .order_by(ToolKey.id)
        ).scalars()
    )


def signing_key() -> SigningKey:
    """The newest key that has not been retired, creating the first one if there is none."""
    current = db.session.execute(
        sa.select(ToolKey.kid, ToolKey.private_key_encrypted)
        .where(ToolKey.retired_at.is_(None))
        .order_by(ToolKey.id.desc())
        .limit(1)
    ).first()
    if current is None:
        with _lock:
            create_key()
            db.session.commit()
        return signing_key()
    kid, encrypted = current
    cached = _signing_cache.get(kid)
    if cached is None:
        pem = _fernet().decrypt(encrypted)
        private_key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        cached = _signing_cache[kid] = SigningKey(kid, private_key)
    return cached


def jwks() -> dict[str, list[dict[str, Any]]]:
    """Every key that may still verify a signature of ours: the signer and those in their grace."""
    keys = _active_keys()
    if not keys:
        signing_key()
        keys = _active_keys()
    return {"keys": [key.public_jwk for key in keys]}


def rotate(grace_days: int | None = None) -> ToolKey:
    """Start signing with a new key; retired keys stay published for ``grace_days``."""
    grace = timedelta(days=grace_days or current_app.config["KEY_ROTATION_GRACE_DAYS"])
    now = utcnow()
    for key in db.session.execute(
        sa.select(ToolKey).where(ToolKey.retired_at.is_(None))
    ).scalars():
        key.retired_at = now
        key.expires_at = now + grace
    new_key = create_key()
    db.session.commit()
    return new_key
