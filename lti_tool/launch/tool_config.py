"""pylti1p3's view of our platform registry: registrations and deployments read from the database.

Every login and launch needs its platform's registration, and registrations change a few times a
year: each process keeps an immutable snapshot of the ones it used for ``REGISTRY_CACHE_SECONDS``.
A change committed in this process drops the snapshots at once; other processes see it within that
many seconds (``lti-tool platform remove`` on a running server, for instance).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import orm

from lti_tool.db import db, listen_once
from lti_tool.launch import keys
from lti_tool.launch.models import Deployment, Platform, PlatformStatus


def registration_scope(platform_id: int, created_at: datetime) -> str:
    """Names a registration in shared caches: a platform removed and registered again, or another
    database behind the same Redis, never shares entries with this one."""
    return f"{platform_id}-{int(created_at.timestamp() * 1_000_000)}"


@dataclass(frozen=True)
class PlatformSnapshot:
    """What logins and launches read of a registration, detached from any database session."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    token_audience: str | None
    status: PlatformStatus
    accept_first_deployment: bool
    deployment_ids: frozenset[str]
    created_at: datetime

    @property
    def scope(self) -> str:
        return registration_scope(self.id, self.created_at)

    @classmethod
    def of(cls, platform: Platform) -> PlatformSnapshot:
        return cls(
            id=platform.id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            key_set_url=platform.key_set_url,
            token_audience=platform.token_audience,
            status=platform.status,
            accept_first_deployment=platform.accept_first_deployment,
            deployment_ids=frozenset(d.deployment_id for d in platform.deployments),
            created_at=platform.created_at,
        )


# Bumped by every registry write this process commits; snapshots of an older generation are stale.
_generation = 0
_EXTENSION = "ritmo_registrations"


@dataclass
class _Cached:
    snapshot: PlatformSnapshot | None  # None: no such registration (also worth remembering)
    loaded_at: float
    generation: int


def _load(iss: str, client_id: str | None) -> PlatformSnapshot | None:
    query = sa.select(Platform).options(orm.selectinload(Platform.deployments))
    query = query.where(Platform.issuer == iss)
    if client_id:
        query = query.where(Platform.client_id == client_id)
    rows = db.session.execute(query.limit(2)).scalars().all()
    # Without a client id the issuer must name exactly one registration.
    return PlatformSnapshot.of(rows[0]) if len(rows) == 1 else None


def find_snapshot(iss: str, client_id: str | None) -> PlatformSnapshot | None:
    """The registration for ``iss`` (and ``client_id``), at most ``REGISTRY_CACHE_SECONDS`` old."""
    # Per application: two apps in one process (tests, the demo) have two databases.
    cache: dict[tuple[str, str | None], _Cached] = current_app.extensions.setdefault(_EXTENSION, {})
    key = (iss, client_id)
    now = time.monotonic()
    cached = cache.get(key)
    if (
        cached is not None
        and cached.generation == _generation
        and now - cached.loaded_at < current_app.config["REGISTRY_CACHE_SECONDS"]
    ):
        return cached.snapshot
    generation = _generation
    snapshot = _load(iss, client_id)
    if len(cache) > 10_000:  # launches naming unknown issuers must not grow the process unbounded
        cache.clear()
    cache[key] = _Cached(snapshot, now, generation)
    return snapshot


def forget_snapshots() -> None:
    global _generation
    _generation += 1


def _registry_flushed(session: orm.Session, _context: Any) -> None:
    if any(
        isinstance(instance, Platform | Deployment)
        for instance in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["registry_changed"] = True
        forget_snapshots()


def _registry_committed(session: orm.Session) -> None:
    # Again at commit: another request may have reloaded the old rows between flush and commit.
    if session.info.pop("registry_changed", False):
        forget_snapshots()


def _registry_rolled_back(session: orm.Session) -> None:
    session.info.pop("registry_changed", None)


def listen() -> None:
    """Forget cached registrations when platforms or deployments change (installed once)."""
    listen_once(orm.Session, "after_flush", _registry_flushed)
    listen_once(orm.Session, "after_commit", _registry_committed)
    listen_once(orm.Session, "after_rollback", _registry_rolled_back)


class PlatformRegistration(Registration):
    """A pylti1p3 registration that remembers its database row and signs with Ritmo's current key.

    The signing key is read only when something signs (deep linking, service tokens): logins and
    launches never need it, and reading it costs a query and a PEM encoding.
    """

    def __init__(self, platform: PlatformSnapshot) -> None:
        super().__init__()
        self.platform_id = platform.id
        self.scope = platform.scope
        self.platform_status = platform.status
        self.accept_first_deployment = platform.accept_first_deployment
        self._signer: keys.SigningKey | None = None
        (
            self.set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
        )
        if platform.token_audience:
            self.set_auth_audience(platform.token_audience)

    def signer(self) -> keys.SigningKey:
        if self._signer is None:
            self._signer = keys.signing_key()
            self.set_tool_private_key(self._signer.pem().decode())
        return self._signer

    def get_tool_private_key(self) -> str | None:
        self.signer()
        return super().get_tool_private_key()

    def get_kid(self) -> str | None:
        return self.signer().kid


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have many client ids (one per registration), so lookups always use both."""

    def _platform(self, iss: str, client_id: str | None) -> PlatformSnapshot | None:
        return find_snapshot(iss, client_id)

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self._platform(iss, None)
        return PlatformRegistration(platform) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        platform = self._platform(iss, client_id)
        return PlatformRegistration(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self._deployment(self._platform(iss, None), deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        return self._deployment(self._platform(iss, client_id), deployment_id)

    @staticmethod
    def _deployment(platform: PlatformSnapshot | None, deployment_id: str) -> LtiDeployment | None:
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)
