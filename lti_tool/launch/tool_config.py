"""pylti1p3's view of our platform registry: registrations and deployments read from the database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import orm

from lti_tool.db import db
from lti_tool.launch import keys
from lti_tool.launch.models import Platform


class PlatformRegistration(Registration):
    """A pylti1p3 registration that remembers its database row and signs with Ritmo's current key.

    The signing key is read only when something signs (deep linking, service tokens): logins and
    launches never need it, and reading it costs a query and a PEM encoding.
    """

    def __init__(self, platform: Platform) -> None:
        super().__init__()
        self.platform_id = platform.id
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
    """Every issuer may have many client ids (one per registration), so lookups always use both.

    One instance serves one login or launch; it remembers the platforms it looked up, because
    pylti1p3 asks for the same one again for the deployment check.
    """

    def __init__(self) -> None:
        super().__init__()
        self._platforms: dict[tuple[str, str | None], Platform | None] = {}

    def _platform(self, iss: str, client_id: str | None) -> Platform | None:
        """Like :func:`registry.find_platform`, with the deployments loaded in the same query."""
        key = (iss, client_id)
        if key not in self._platforms:
            query = sa.select(Platform).options(orm.joinedload(Platform.deployments))
            query = query.where(Platform.issuer == iss)
            if client_id:
                query = query.where(Platform.client_id == client_id)
            rows = db.session.execute(query).unique().scalars().all()
            # Without a client id the issuer must name exactly one registration.
            self._platforms[key] = rows[0] if len(rows) == 1 else None
        return self._platforms[key]

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
    def _deployment(platform: Platform | None, deployment_id: str) -> LtiDeployment | None:
        if platform is None or all(d.deployment_id != deployment_id for d in platform.deployments):
            return None
        return LtiDeployment().set_deployment_id(deployment_id)
