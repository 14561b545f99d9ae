"""Registration links: an admin invites one LMS, whose dynamic registration is then active at once.

``lti-tool platform invite`` makes a link ``<BASE_URL>/lti/register/<token>``; the admin pastes it
into the LMS as the tool's registration URL. The link works once and expires after
``REGISTRATION_INVITE_HOURS``; only a SHA-256 digest of its token is stored. A spent or expired
link is refused (the LMS shows Ritmo's page saying so): it never falls back to a pending
registration, so a leaked old link is worth nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from lti_tool.db import db, utcnow
from lti_tool.launch.models import Platform, PlatformInvite

TOKEN_BYTES = 32


class InviteUnusable(Exception):
    """The link is unknown, spent or expired."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(name: str = "") -> tuple[PlatformInvite, str]:
    """A new invitation and its registration URL (the only place the token ever appears)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    hours = current_app.config["REGISTRATION_INVITE_HOURS"]
    invite = PlatformInvite(token_hash=_digest(token), name=name[:255],
                            expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(invite)
    db.session.commit()
    return invite, f"{current_app.config['BASE_URL']}/lti/register/{token}"


def claim(token: str) -> PlatformInvite:
    """Mark the invitation used, atomically (two LMS dialogs cannot both spend it)."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(PlatformInvite)
        .where(PlatformInvite.token_hash == _digest(token), PlatformInvite.used_at.is_(None),
               PlatformInvite.expires_at > now)
        .values(used_at=now)
        .returning(PlatformInvite.id)
    ).scalar_one_or_none()
    db.session.commit()
    if claimed is None:
        raise InviteUnusable(token)
    return db.session.get_one(PlatformInvite, claimed)


def release(invite: PlatformInvite) -> None:
    """Give the link back after a registration that failed, so the admin can try again."""
    db.session.execute(
        sa.update(PlatformInvite)
        .where(PlatformInvite.id == invite.id, PlatformInvite.platform_id.is_(None))
        .values(used_at=None)
    )
    db.session.commit()


def spend(invite: PlatformInvite, platform: Platform) -> None:
    """Record which platform the link brought (in the caller's transaction)."""
    invite.platform_id = platform.id
