"""The client-credentials assertion Ritmo signs for service access tokens."""

from __future__ import annotations

import jwt

from lti_tool.launch import keys
from lti_tool.lti_services import tokens


def test_client_assertion_names_the_audience_the_platform_wants(app) -> None:
    key = keys.signing_key()
    endpoint = tokens.TokenEndpoint("client-1", "https://lms/token", audience="https://lms/oauth2")
    claims = jwt.decode(
        tokens.client_assertion(endpoint, key), key.private_key.public_key(), algorithms=["RS256"],
        audience="https://lms/oauth2",
    )
    assert claims["iss"] == claims["sub"] == "client-1" and claims["jti"]
    assert claims["exp"] - claims["iat"] == tokens.ASSERTION_LIFETIME_SECONDS
    assert jwt.get_unverified_header(tokens.client_assertion(endpoint, key))["kid"] == key.kid
    plain = tokens.TokenEndpoint("client-1", "https://lms/token")
    assert jwt.decode(
        tokens.client_assertion(plain, key), key.private_key.public_key(), algorithms=["RS256"],
        audience="https://lms/token",
    )["aud"] == "https://lms/token"
