"""The errors of every LTI service call: one base saying whether trying again later can help."""

from __future__ import annotations


class ServiceError(Exception):
    """A failed call to an LMS service. ``transient`` errors are worth retrying later.

    ``message`` is written for the person who has to act (it names what the LMS said);
    ``retry_after`` is the LMS's own ``Retry-After`` in seconds, when it gave one.
    """

    def __init__(
        self, message: str, *, status: int | None = None, transient: bool,
        retry_after: float | None = None, token_rejected: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.transient = transient
        self.retry_after = retry_after
        # A service call refused our bearer token (expired or revoked): fetch a new one and retry.
        self.token_rejected = token_rejected


class AccessTokenError(ServiceError):
    """No access token: the platform is not active, or its token endpoint refused or failed."""


class AgsError(ServiceError):
    """A line item or score call to Assignment and Grade Services failed."""


class NrpsError(ServiceError):
    """A course membership (Names and Role Provisioning Services) could not be read."""
