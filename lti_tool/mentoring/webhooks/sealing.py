"""Signing secrets: generated here, shown once, kept encrypted under a key derived from SECRET_KEY.

Ritmo signs every delivery with the subscription's secret, so it must read the secret back: it is
encrypted (Fernet: AES-128-CBC with an HMAC), not hashed. The key is derived from the app's
``SECRET_KEY`` with HKDF and a purpose of its own, so it is no other use's key; rotating
``SECRET_KEY`` makes stored secrets unreadable, and their deliveries fail with a message that says
to subscribe again.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "whsec_"
_PURPOSE = b"ritmo webhook signing secrets v1"


class SecretUnreadable(Exception):
    """The stored secret was sealed under another SECRET_KEY."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    secret_key = str(current_app.config["SECRET_KEY"]).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "The signing secret cannot be read (SECRET_KEY changed since it was made). "
            "Remove this subscription and add it again to get a new secret."
        ) from error
