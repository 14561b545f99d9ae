"""Registrations of platforms and the tool's own keys."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, TimestampMixin


class PlatformStatus(enum.StrEnum):
    ACTIVE = "active"
    # A dynamic registration waiting for an admin's approval: it may not launch yet.
    PENDING = "pending"
    DISABLED = "disabled"


class Platform(TimestampMixin, Base):
    """One registration of Ritmo in an LMS: an issuer and the client id it gave Ritmo."""

    __tablename__ = "platform"
    __table_args__ = (sa.UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(sa.String(255))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(sa.String(1024))
    auth_token_url: Mapped[str] = mapped_column(sa.String(1024))
    key_set_url: Mapped[str] = mapped_column(sa.String(1024))
    # The ``aud`` of our client assertion when the platform wants something else than its token URL.
    token_audience: Mapped[str | None] = mapped_column(sa.String(1024))
    status: Mapped[PlatformStatus] = mapped_column(
        sa.Enum(PlatformStatus, native_enum=False, length=16), default=PlatformStatus.ACTIVE
    )
    # Canvas's dynamic registration may not say the deployment: trust the first launch's, once.
    accept_first_deployment: Mapped[bool] = mapped_column(default=False)
    product_family: Mapped[str | None] = mapped_column(sa.String(128))

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )


class Deployment(TimestampMixin, Base):
    __tablename__ = "deployment"
    __table_args__ = (sa.UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(sa.String(255))

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class PlatformInvite(TimestampMixin, Base):
    """A registration link an admin made: the registration it brings is active at once, once.

    Only a digest of the link's token is kept, so the table cannot be used to register.
    """

    __tablename__ = "platform_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    platform_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="SET NULL")
    )


class ToolKey(TimestampMixin, Base):
    """An RSA key pair of Ritmo's. The private half is encrypted with the installation's secret."""

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    private_key_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    public_jwk: Mapped[dict[str, Any]]
    # Set when a newer key took over signing; the key stays published until ``expires_at``.
    retired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
