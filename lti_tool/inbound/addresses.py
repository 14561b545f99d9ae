"""Signed reply addresses: ``reply+<token>@INBOUND_MAIL_DOMAIN``.

The token says who may write (a user id), where (a handler ``kind`` and its ids) and until when,
signed with an HMAC of the app's secret. It is written in lowercase letters, digits and dots only,
so it survives mail systems that fold the case of addresses, and it stays under the 64 characters
RFC 5321 allows a local part: ``reply+t.2s.9.1f.6ok2x.<20 hex>``. Anyone holding the address can
write as the person while it is valid, like anyone holding a session link; the receiver also asks
the reply to come from the person's own address (``service.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from lti_tool.db import utcnow

LOCAL_PREFIX = "reply+"
SIGNATURE_CHARS = 20  # 80 bits of HMAC-SHA256
LOCAL_PART_MAX = 64
_KEY_SALT = b"ritmo-reply-address-v1"
_KIND = re.compile(r"^[a-z]{1,4}$")
_HOUR = 3600


class BadAddress(Exception):
    """The address is not a reply address Ritmo signed, or no longer one (the text says which)."""


@dataclass(frozen=True)
class ReplyAddress:
    """What a verified reply address names."""

    kind: str
    user_id: int
    ids: tuple[int, ...]
    expires_at: datetime


def enabled() -> bool:
    """Replies by e-mail are on when a domain receives them."""
    return bool(current_app.config["INBOUND_MAIL_DOMAIN"])


def reply_address(kind: str, user_id: int, *ids: int, now: datetime | None = None) -> str | None:
    """The address for ``user_id`` to reply to ``kind`` (``ids`` name the place); ``None`` when
    replies by e-mail are off. Valid for ``INBOUND_REPLY_DAYS``."""
    if not enabled():
        return None
    if not _KIND.match(kind):
        raise ValueError(f"reply kind {kind!r}: use 1-4 lowercase letters")
    days = int(current_app.config["INBOUND_REPLY_DAYS"])
    expires = (now or utcnow()) + timedelta(days=days)
    # Whole hours, rounded up: the address works at least the promised time.
    hours = -(-int(expires.timestamp()) // _HOUR)
    payload = ".".join([kind, _b36(user_id), *(_b36(i) for i in ids), _b36(hours)])
    local = f"{LOCAL_PREFIX}{payload}.{_sign(payload)}"
    if len(local) > LOCAL_PART_MAX:
        raise ValueError(f"reply address local part over {LOCAL_PART_MAX} characters: {local}")
    return f"{local}@{domain()}"


def domain() -> str:
    return str(current_app.config["INBOUND_MAIL_DOMAIN"]).strip().lower()


def verify(address: str, now: datetime | None = None) -> ReplyAddress:
    """The place a reply address names; :class:`BadAddress` for anything not signed by this Ritmo,
    changed, for another domain, or expired."""
    local, _at, host = address.strip().strip("<>").rpartition("@")
    local = local.lower()
    if not enabled() or host.lower() != domain() or not local.startswith(LOCAL_PREFIX):
        raise BadAddress(_("No such mailbox here."))
    payload, _dot, signature = local[len(LOCAL_PREFIX) :].rpartition(".")
    if not payload or not hmac.compare_digest(signature, _sign(payload)):
        raise _invalid()
    kind, *numbers = payload.split(".")
    try:
        values = [int(n, 36) for n in numbers]
    except ValueError as error:  # signed, so only a bug could get here
        raise _invalid() from error
    if len(values) < 2:
        raise _invalid()
    expires_at = datetime.fromtimestamp(values[-1] * _HOUR, tz=UTC)
    if expires_at <= (now or utcnow()):
        raise BadAddress(_("This reply address has expired. Open Ritmo from your course to answer."))
    return ReplyAddress(kind=kind, user_id=values[0], ids=tuple(values[1:-1]), expires_at=expires_at)


def _invalid() -> BadAddress:
    return BadAddress(_("This reply address is not valid: it was changed, or not made by Ritmo."))


def _sign(payload: str) -> str:
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), _KEY_SALT, hashlib.sha256).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def _b36(number: int) -> str:
    if number < 0:
        raise ValueError("reply address ids are not negative")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
