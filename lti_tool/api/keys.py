"""API keys: how an institution's systems (an LMS block, a BI tool, an HR feed) call Ritmo without
a browser launch, and the record of every call they make.

A key belongs to one platform and carries scopes (:mod:`lti_tool.api.scopes`). It reads
``rk_<prefix>_<secret>``: the prefix is public (it tells keys apart in lists and logs), the secret
is 256 random bits, shown once when the key is made and stored only as its SHA-256 digest (a slow
hash buys nothing against a secret of that entropy), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.api import scopes as known_scopes
from lti_tool.db import Base, db, utcnow
from lti_tool.errors import InvalidInput, NotAuthenticated, NotFound
from lti_tool.safety.names import clean_name

MARK = "rk"
PREFIX_BYTES = 4  # 8 hex characters: enough to tell an institution's keys apart
SECRET_BYTES = 32
MAX_NAME = 100
MAX_EXPIRY_DAYS = 3650
PURGE_TASK = "api_keys.purge_uses"


class ApiKey(Base):
    """One system's key to one platform's data."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME), default="")
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    def state(self, now: datetime | None = None) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


class ApiKeyUse(Base):
    """One call made with a key (or with a key Ritmo did not recognise: ``key_id`` is then empty).
    Kept ``API_KEY_USE_RETENTION_DAYS`` days."""

    __tablename__ = "api_key_use"
    __table_args__ = (sa.Index("ix_api_key_use_key_at", "key_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_key.id", ondelete="CASCADE"))
    # What the caller presented as the prefix, for calls with an unknown or malformed key.
    key_prefix: Mapped[str] = mapped_column(sa.String(16), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    method: Mapped[str] = mapped_column(sa.String(8))
    # The route with its numeric ids; a person's LMS id in a path is not kept (``{sub}``).
    path: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[int]


# -- making and ending keys ----------------------------------------------------------------------


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _platform_exists(platform_id: int) -> bool:
    # The platform table belongs to the LTI edge, above this layer: read it by name, not by model.
    platform = Base.metadata.tables["platform"]
    found = db.session.execute(sa.select(platform.c.id).where(platform.c.id == platform_id)).first()
    return found is not None


def create(
    platform_id: int, scopes: Iterable[str], *, name: str = "", expires_days: int | None = None
) -> tuple[ApiKey, str]:
    """A new key and its full text (``rk_<prefix>_<secret>``), which nobody can read again."""
    wanted = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    errors: dict[str, list[str]] = {}
    if not wanted:
        errors["scopes"] = [_("Give at least one scope: %(s)s.", s=", ".join(known_scopes.SCOPES))]
    elif unknown := known_scopes.unknown(wanted):
        errors["scopes"] = [
            _("Unknown scope: %(u)s. Scopes are: %(s)s.",
              u=", ".join(unknown), s=", ".join(known_scopes.SCOPES))
        ]
    if not _platform_exists(platform_id):
        errors["platform"] = [_("There is no platform %(id)s; see 'lti-tool platform list'.", id=platform_id)]
    if len(name) > MAX_NAME:
        errors["name"] = [_("Use at most %(n)d characters.", n=MAX_NAME)]
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        errors["expires_days"] = [_("Give a number of days from 1 to %(n)d.", n=MAX_EXPIRY_DAYS)]
    if errors:
        raise InvalidInput(_("The key was not created."), errors=errors)
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = utcnow()
    key = ApiKey(
        platform_id=platform_id,
        name=clean_name(name) or "",  # printed in lists and logs: no control characters
        prefix=prefix,
        secret_hash=digest(secret),
        scopes=wanted,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(key)
    db.session.commit()
    return key, f"{MARK}_{prefix}_{secret}"


def listed(platform_id: int | None = None) -> list[ApiKey]:
    query = sa.select(ApiKey).order_by(ApiKey.platform_id, ApiKey.id)
    if platform_id is not None:
        query = query.where(ApiKey.platform_id == platform_id)
    return list(db.session.execute(query).scalars())


def get(key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(_("There is no API key %(id)s; see 'lti-tool apikey list'.", id=key_id))
    return key


def revoke(key_id: int) -> ApiKey:
    """End a key at once: the next call made with it is refused. Revoking twice changes nothing."""
    key = get(key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
    return key


# -- using keys ----------------------------------------------------------------------------------


class KeyRefused(NotAuthenticated):
    """A missing, unknown, revoked or expired key; the answer says how to authenticate."""

    title = _l("API key refused")

    def __init__(self, detail: str, prefix: str = "") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})
        self.prefix = prefix


def split(raw: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a key's text, or None when it is not shaped like a key."""
    mark, _sep, rest = raw.strip().partition("_")
    prefix, _sep, secret = rest.partition("_")
    if mark != MARK or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def authenticate(raw: str, now: datetime | None = None) -> ApiKey:
    """The key ``raw`` stands for, if it may be used now; else :class:`KeyRefused`."""
    parts = split(raw)
    if parts is None:
        raise KeyRefused(_("This is not a Ritmo API key. Send the whole key (rk_...) in X-API-Key."))
    prefix, secret = parts
    key = db.session.execute(sa.select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    # Compared even when no key has the prefix, so the answer takes as long either way.
    expected = key.secret_hash if key is not None else digest(prefix)
    if not hmac.compare_digest(expected, digest(secret)) or key is None:
        raise KeyRefused(
            _("This API key is not known to Ritmo. Check it, or ask your Ritmo admin for one."), prefix
        )
    state = key.state(now)
    if state == "revoked":
        raise KeyRefused(_("This API key was revoked. Ask your Ritmo admin for a new one."), prefix)
    if state == "expired":
        raise KeyRefused(_("This API key has expired. Ask your Ritmo admin for a new one."), prefix)
    if not _platform_active(key.platform_id):
        raise KeyRefused(_("The platform of this API key is not active in Ritmo."), prefix)
    return key


def _platform_active(platform_id: int) -> bool:
    platform = Base.metadata.tables["platform"]
    status = db.session.execute(sa.select(platform.c.status).where(platform.c.id == platform_id)).scalar()
    return status is not None and str(status) == "active"


def record_use(key_id: int | None, prefix: str, method: str, path: str, status: int) -> None:
    """Keep one call in the record (and when the key was last used); commits."""
    now = utcnow()
    db.session.add(
        ApiKeyUse(
            key_id=key_id, key_prefix=prefix[:16], at=now, method=method[:8], path=path[:255], status=status
        )
    )
    if key_id is not None:
        db.session.execute(sa.update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
    db.session.commit()


def recent_uses(key_ids: Sequence[int], per_key: int = 5) -> dict[int, list[ApiKeyUse]]:
    """The last ``per_key`` calls of each key, newest first."""
    out: dict[int, list[ApiKeyUse]] = {key_id: [] for key_id in key_ids}
    if not key_ids:
        return out
    ranked = (
        sa.select(
            ApiKeyUse.id,
            sa.func.row_number().over(partition_by=ApiKeyUse.key_id, order_by=ApiKeyUse.id.desc()).label("n"),
        )
        .where(ApiKeyUse.key_id.in_(list(key_ids)))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ApiKeyUse)
        .join(ranked, ranked.c.id == ApiKeyUse.id)
        .where(ranked.c.n <= per_key)
        .order_by(ApiKeyUse.id.desc())
    ).scalars()
    for use in rows:
        out[use.key_id or 0].append(use)
    return out


def purge_task(payload: dict[str, Any]) -> None:
    """The periodic task (daily, ``jobs/periodic.py``)."""
    purge_uses()


def purge_uses(now: datetime | None = None) -> int:
    """Forget calls older than ``API_KEY_USE_RETENTION_DAYS``; how many went."""
    before = (now or utcnow()) - timedelta(days=int(current_app.config["API_KEY_USE_RETENTION_DAYS"]))
    result = db.session.execute(sa.delete(ApiKeyUse).where(ApiKeyUse.at < before))
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
