"""A minimal signing platform for launch tests: an RSA key whose JWKS is served over real HTTP on
127.0.0.1, and a browser-like driver for the OIDC login + launch round trip.

The full demo LMS (``lti_tool.demo``) covers realistic flows; this one lets security tests mint
exactly the token they need, including broken ones.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"


@dataclass
class TestPlatform:
    issuer: str
    client_id: str = "ritmo-client"
    deployment_id: str = "dep-1"
    kid: str = "platform-key-1"
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    extra_keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    jwks_requests: int = 0

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in {self.kid: self.key, **self.extra_keys}.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update(kid=kid, alg="RS256", use="sig")
            keys.append(jwk)
        return {"keys": keys}

    def registration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": self.issuer + "/auth",
            "auth_token_url": self.issuer + "/token",
            "key_set_url": self.issuer + "/jwks",
            "name": "Test LMS",
        }

    def claims(self, nonce: str, *, sub: str = "user-1", roles: list[str] | None = None,
               context_id: str = "course-1", **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Ada Lovelace",
            "email": "ada@example.edu",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": "http://127.0.0.1:5000/lti/launch",
            LTI + "resource_link": {"id": "link-1", "title": "Mentoring"},
            LTI + "roles": roles if roles is not None else [LEARNER],
            LTI + "context": {"id": context_id, "title": "Mentoring 101", "label": "M101"},
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], kid: str | None = None,
             key: rsa.RSAPrivateKey | None = None) -> str:
        kid = kid or self.kid
        signer = key or self.extra_keys.get(kid, self.key)
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})


class PlatformServer:
    """Serves a TestPlatform's JWKS on 127.0.0.1 from a background thread."""

    def __init__(self, platform_factory: Any) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.platform: TestPlatform = platform_factory(self.url)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/jwks":
            self.platform.jwks_requests += 1
            response = Response(json.dumps(self.platform.jwks()), mimetype="application/json")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()


def start_login(client: FlaskClient, platform: TestPlatform, **params: str) -> dict[str, str]:
    """Do the OIDC initiation; return the auth request's parameters (state, nonce, ...)."""
    query = {
        "iss": platform.issuer,
        "client_id": platform.client_id,
        "login_hint": "user-1",
        "target_link_uri": "http://127.0.0.1:5000/lti/launch",
        "lti_deployment_id": platform.deployment_id,
        **params,
    }
    response = client.get("/lti/login", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def launch(client: FlaskClient, platform: TestPlatform, *, claims: dict[str, Any] | None = None,
           token: str | None = None, state: str | None = None, **claim_args: Any):
    """A full login + launch. ``claims``/``token``/``state`` let a test break one part."""
    auth = start_login(client, platform)
    body = claims if claims is not None else platform.claims(auth["nonce"], **claim_args)
    id_token = token if token is not None else platform.sign(body)
    return client.post("/lti/launch", data={"id_token": id_token, "state": state or auth["state"]})


def session_token(html: str) -> str:
    marker = 'name="ritmo-session" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def new_nonce() -> str:
    return uuid.uuid4().hex
