"""pylti1p3's view of our platform registry: registrations and deployments read from the database."""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from lti_tool.launch import keys, registry
from lti_tool.launch.models import Platform


class PlatformRegistration(Registration):
    """A pylti1p3 registration that remembers its database row and signs with Ritmo's current key."""

    def __init__(self, platform: Platform) -> None:
        super().__init__()
        self.platform_id = platform.id
        self.platform_status = platform.status
        self.accept_first_deployment = platform.accept_first_deployment
        signer = keys.signing_key()
        self._signing_kid = signer.kid
        (
            self.set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(signer.pem().decode())
        )
        if platform.token_audience:
            self.set_auth_audience(platform.token_audience)

    def get_kid(self) -> str | None:
        return self._signing_kid


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have many client ids (one per registration), so lookups always use both."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = registry.find_platform(iss, None)
        return PlatformRegistration(platform) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        platform = registry.find_platform(iss, client_id)
        return PlatformRegistration(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        platform = registry.find_platform(iss, None)
        return self._deployment(platform, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        return self._deployment(registry.find_platform(iss, client_id), deployment_id)

    @staticmethod
    def _deployment(platform: Platform | None, deployment_id: str) -> LtiDeployment | None:
        if platform is None or registry.find_deployment(platform, deployment_id) is None:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)
