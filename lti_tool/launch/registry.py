"""The platform registry: which LMSs may launch Ritmo, and through which deployments."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate, validates

from lti_tool import audit
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import Conflict, InvalidInput, NotFound
from lti_tool.identity import revocation
from lti_tool.launch import memo
from lti_tool.launch.models import Deployment, Platform, PlatformStatus


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class PlatformSchema(Schema):
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=255))
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    name = fields.String(load_default="", validate=validate.Length(max=255))
    deployment_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=255)), load_default=list
    )
    auth_login_url = fields.String(required=True)
    auth_token_url = fields.String(required=True)
    key_set_url = fields.String(required=True)
    token_audience = fields.String(load_default=None, allow_none=True)
    status = fields.Enum(PlatformStatus, by_value=True, load_default=PlatformStatus.ACTIVE)
    accept_first_deployment = fields.Boolean(load_default=False)

    @validates("issuer")
    def _issuer(self, value: str, **_: object) -> None:
        # An issuer is a case-sensitive https URL in the spec; platforms on localhost use http.
        if not _is_http_url(value):
            raise ValidationError("The issuer must be a URL such as https://lms.example.edu.")

    @validates("auth_login_url", "auth_token_url", "key_set_url")
    def _url(self, value: str, data_key: str = "", **_: object) -> None:
        if not _is_http_url(value):
            raise ValidationError(f"{value!r} is not an http(s) URL.")


@dataclass(frozen=True)
class PlatformSummary:
    id: int
    issuer: str
    client_id: str
    name: str
    status: str
    deployment_ids: list[str]


def add_platform(data: dict) -> Platform:
    """Validate and store a registration with its deployments, all or nothing."""
    try:
        values = PlatformSchema().load(data)
    except ValidationError as error:
        raise InvalidInput(errors=error.normalized_messages()) from error
    deployment_ids = list(dict.fromkeys(values.pop("deployment_ids")))
    if find_platform(values["issuer"], values["client_id"]) is not None:
        raise Conflict(
            f"A platform with issuer {values['issuer']} and client id {values['client_id']} is "
            "already registered. Remove it first, or add deployments with 'platform add-deployment'."
        )
    platform = Platform(**values)
    platform.deployments = [Deployment(deployment_id=d) for d in deployment_ids]
    db.session.add(platform)
    db.session.commit()
    return platform


def add_deployment(platform_id: int, deployment_id: str) -> Deployment:
    platform = get_platform(platform_id)
    if any(d.deployment_id == deployment_id for d in platform.deployments):
        raise Conflict(f"Deployment {deployment_id} is already registered for this platform.")
    deployment = Deployment(platform=platform, deployment_id=deployment_id)
    db.session.add(deployment)
    db.session.commit()
    return deployment


def get_platform(platform_id: int) -> Platform:
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        raise NotFound(f"No platform with id {platform_id}. 'lti-tool platform list' shows them.")
    return platform


def find_platform(issuer: str, client_id: str | None) -> Platform | None:
    query = sa.select(Platform).where(Platform.issuer == issuer)
    if client_id:
        query = query.where(Platform.client_id == client_id)
    rows = db.session.execute(query.limit(2)).scalars().all()
    # Without a client id the issuer must name exactly one registration.
    return rows[0] if len(rows) == 1 else None


def find_deployment(platform: Platform, deployment_id: str) -> Deployment | None:
    return db.session.execute(
        sa.select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    ).scalar_one_or_none()


def list_platforms() -> list[PlatformSummary]:
    platforms = db.session.execute(sa.select(Platform).order_by(Platform.id)).scalars()
    return [
        PlatformSummary(
            id=p.id, issuer=p.issuer, client_id=p.client_id, name=p.name, status=p.status.value,
            deployment_ids=[d.deployment_id for d in p.deployments],
        )
        for p in platforms
    ]


def _end_sessions(platform_id: int) -> None:
    """End the sessions of the platform's people (joins the caller's transaction): a session token
    outlives the launch that made it, and names the person, not whether their LMS is still trusted."""
    revocation.revoke(db.session.execute(
        sa.select(User.id).where(User.platform_id == platform_id)
    ).scalars())


def remove_platform(platform_id: int) -> None:
    platform = get_platform(platform_id)
    _end_sessions(platform.id)
    db.session.delete(platform)
    db.session.commit()
    # Its users and courses are gone: no launch may reuse what a launch remembered of them.
    memo.forget_platform(platform_id)


def set_status(platform_id: int, status: PlatformStatus) -> Platform:
    platform = get_platform(platform_id)
    platform.status = status
    if status is not PlatformStatus.ACTIVE:
        _end_sessions(platform.id)
    db.session.commit()
    return platform


class RegistrationExists(Conflict):
    """A dynamic registration named an issuer + client id Ritmo already has."""

    def __init__(self, platform_id: int) -> None:
        super().__init__(f"Platform {platform_id} already has this issuer and client id.")
        self.platform_id = platform_id


def approve(platform_id: int) -> Platform:
    """Let a pending (dynamically registered) platform launch Ritmo; recorded in the audit log."""
    platform = get_platform(platform_id)
    if platform.status is not PlatformStatus.PENDING:
        raise Conflict(f"Platform {platform_id} is {platform.status.value}, not pending approval.")
    platform.status = PlatformStatus.ACTIVE
    audit.record("platform.approved", "platform", platform.id, issuer=platform.issuer,
                 client_id=platform.client_id, key_set_url=platform.key_set_url)
    db.session.commit()
    return platform


def save_registration(
    values: dict, deployment_id: str | None, *, status: PlatformStatus, product_family: str | None
) -> Platform:
    """Store a new platform from what a dynamic registration returned, all or nothing.

    Issuer and client id are public, so a registration naming a known pair is refused
    (:class:`RegistrationExists`) instead of changing that platform's endpoints: whoever can run a
    registration must never be able to redirect an existing platform's keys. Without a deployment
    id (Canvas), the first launch's deployment is accepted once.
    """
    try:
        loaded = PlatformSchema().load(
            {**values, "deployment_ids": [deployment_id] if deployment_id else []}
        )
    except ValidationError as error:
        raise InvalidInput(errors=error.normalized_messages()) from error
    deployment_ids = loaded.pop("deployment_ids")
    loaded.pop("status")
    loaded.pop("accept_first_deployment")
    existing = find_platform(loaded["issuer"], loaded["client_id"])
    if existing is not None:
        raise RegistrationExists(existing.id)
    platform = Platform(**loaded, status=status, product_family=product_family,
                        accept_first_deployment=not deployment_ids)
    platform.deployments = [Deployment(deployment_id=d) for d in deployment_ids]
    db.session.add(platform)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:  # the same pair registered at this very moment
        db.session.rollback()
        raise RegistrationExists(0) from error
    return platform
