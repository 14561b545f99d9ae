"""One-time handoff codes: how the in-frame session reaches the next page without a token in a URL.

A link, a redirect or a GET form cannot send a header, and URLs end up in access logs, proxies and
browser history. So the page trades its token for a code (``POST /api/session/handoff`` with the token
as ``Authorization: Bearer``; ``ritmo.js`` does this when a link is followed), or the server mints
one when it redirects after a form, and the next URL carries ``?rh=CODE``. A code is 128 random
bits, lives a minute, and the first request that shows it spends it (an atomic take in the shared
cache, as login states are spent), so a URL that was logged or kept opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from cryptography.fernet import Fernet, InvalidToken

from lti_tool.cache import cache

QUERY_PARAM = "rh"
# Long enough for a click to reach the server on a slow network, short enough to be useless later.
CODE_TTL_SECONDS = 60
_KEY = "handoff:"
_CODE = re.compile(r"[A-Za-z0-9_-]{22}")


def _sealed(code: str) -> tuple[str, Fernet]:
    """The cache key for ``code`` and the box its token is sealed in, both derived from the code:
    the cache (a database row, a Redis value, an SQL error in a log) holds neither the code nor
    the token."""
    secret = code.encode()
    key = hmac.new(secret, b"ritmo-handoff-key", hashlib.sha256).hexdigest()
    seal = hmac.new(secret, b"ritmo-handoff-seal", hashlib.sha256).digest()
    return _KEY + key, Fernet(base64.urlsafe_b64encode(seal))


def mint(token: str, ttl: int = CODE_TTL_SECONDS) -> str:
    """A fresh code that stands for ``token`` once, for ``ttl`` seconds."""
    code = secrets.token_urlsafe(16)
    key, box = _sealed(code)
    cache().set(key, {"t": box.encrypt(token.encode()).decode()}, ttl)
    return code


def spend(code: str) -> str | None:
    """The token ``code`` stands for, or None; the code is gone either way."""
    if not _CODE.fullmatch(code):
        return None
    key, box = _sealed(code)
    kept = cache().take(key)
    sealed = kept.get("t") if kept else None
    if not isinstance(sealed, str):
        return None
    try:
        return box.decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
