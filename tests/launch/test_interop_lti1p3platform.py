"""Interoperability: Ritmo launched by an LTI 1.3 platform it did not write.

The platform is the PyPI package ``lti1p3platform`` (its registration, OIDC login initiation,
authentication response with a signed id_token, JWKS and client-credentials token endpoint), served
by a small WSGI app on 127.0.0.1. Ritmo runs on a real HTTP server too, so every hop is real HTTP: the
browser (a ``requests`` session keeping cookies) follows the login redirects and submits the
platform's auto-post form; Ritmo fetches the platform's JWKS; the platform fetches Ritmo's JWKS to
check the client assertion Ritmo's grades code signs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape, unescape
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as PlatformRequest
from lti1p3platform.request import TRequest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool import http
from lti_tool.launch import keys, registry
from lti_tool.lti_services import ags, tokens
from lti_tool.lti_services.errors import AccessTokenError

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLES = {"instructor": [INSTRUCTOR], "learner": [LEARNER]}
CONTEXT_ID = "interop-course"
CLIENT_ID = "ritmo-interop"
DEPLOYMENT_ID = "interop-deployment"


def _pem(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@dataclass
class Settings:
    issuer: str
    tool_url: str
    private_pem: str
    public_pem: str


class PlatformConf(LTI1P3PlatformConfAbstract):
    """The platform's view of its one registration: Ritmo."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.settings: Settings = kwargs["settings"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        s = self.settings
        return (
            Registration()
            .set_iss(s.issuer)
            .set_client_id(CLIENT_ID)
            .set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(s.tool_url + "/lti/login")
            .set_launch_url(s.tool_url + "/lti/launch")
            .set_tool_key_set_url(s.tool_url + "/lti/jwks")
            .set_platform_public_key(s.public_pem)
            .set_platform_private_key(s.private_pem)
        )


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class WerkzeugRequest(PlatformRequest):
    def build_metadata(self, request: Request) -> TRequest:
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": dict(request.headers),
            "content_type": request.content_type,
            "path": request.path,
            "json": None,
        }


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{escape(launch_data[name])}">'
            for name in ("id_token", "state")
        )
        return (
            f'<form id="lti" method="post" action="{escape(launch_data["launch_url"])}">{fields}'
            "</form><script>document.getElementById('lti').submit()</script>"
        )


class InteropPlatform:
    """lti1p3platform behind a WSGI app on 127.0.0.1: /jwks, /auth (OIDC) and /token."""

    def __init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.private_pem, self.public_pem = _pem(
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        self.tool_url = ""
        self.token_requests: list[dict[str, str]] = []
        self.issued_tokens: list[str] = []
        self.refusals: list[str] = []
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def conf(self) -> PlatformConf:
        settings = Settings(self.url, self.tool_url, self.private_pem, self.public_pem)
        conf = PlatformConf(settings=settings)
        conf.get_registration()
        return conf

    def registration_for_ritmo(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "client_id": CLIENT_ID,
            "deployment_ids": [DEPLOYMENT_ID],
            "auth_login_url": self.url + "/auth",
            "auth_token_url": self.url + "/token",
            "key_set_url": self.url + "/jwks",
            "name": "lti1p3platform",
        }

    def login_url(self, user_id: str, role: str) -> str:
        login = Login(None, self.conf())
        login.set_lti_message_hint(hint=role)
        return login.initiate_login(user_id)

    def close(self) -> None:
        self._server.shutdown()

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/jwks":
            response = Response(_json(self.conf().get_jwks()), mimetype="application/json")
        elif request.path == "/auth":
            response = self._auth(request)
        elif request.path == "/token" and request.method == "POST":
            response = self._token(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _auth(self, request: Request) -> Response:
        params = request.args if request.method == "GET" else request.form
        conf = self.conf()
        # What a real platform checks before it signs anything for this client.
        if params.get("redirect_uri") != conf.settings.tool_url + "/lti/launch":
            return Response("redirect_uri is not registered", status=400)
        if params.get("response_type") != "id_token" or params.get("scope") != "openid":
            return Response("not an OIDC implicit id_token request", status=400)
        user_id = params.get("login_hint", "")
        role = params.get("lti_message_hint", "")
        launch = Launch(WerkzeugRequest(request), conf)
        launch.set_user_data(
            user_id, ROLES[role], full_name=f"Interop {role.title()}",
            email_address=f"{role}@interop.invalid",
        )
        launch.set_resource_link_claim("interop-link", title="Mentoring")
        launch.set_launch_context_claim(
            CONTEXT_ID, context_title="Interop 101", context_label="I101",
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        )
        launch.set_launch_presentation_claim(document_target="iframe")
        launch.set_ags(lineitems_url=self.url + "/lineitems")
        return Response(launch.lti_launch(), mimetype="text/html")

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        try:
            token = self.conf().get_access_token(form)
        except Exception as error:  # the library signals every refusal with an exception
            self.refusals.append(str(error))
            return Response(_json({"error": "invalid_client", "detail": str(error)}), status=400,
                            mimetype="application/json")
        self.issued_tokens.append(token["access_token"])
        return Response(_json(dict(token)), mimetype="application/json")


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


class ToolServer:
    """Ritmo (the test's app) on a real HTTP server in a thread."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        app.config["BASE_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(10)


@pytest.fixture
def interop(app: Flask) -> Iterator[tuple[InteropPlatform, ToolServer]]:
    platform = InteropPlatform()
    tool = ToolServer(app)
    platform.tool_url = tool.url
    registry.add_platform(platform.registration_for_ritmo())
    try:
        yield platform, tool
    finally:
        tool.close()
        platform.close()


FORM = re.compile(r'<form id="lti" method="post" action="([^"]+)">(.*?)</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def browser_launch(platform: InteropPlatform, user_id: str, role: str) -> tuple[str, str]:
    """A browser's login + launch: returns Ritmo's page and its session token."""
    browser = requests.Session()
    # The platform starts the login; Ritmo redirects the browser back to the platform's /auth.
    auth_page = browser.get(platform.login_url(user_id, role), timeout=10)
    assert auth_page.status_code == 200, auth_page.text
    assert auth_page.url.startswith(platform.url + "/auth?")
    assert any(c.name.startswith("lti1p3-") for c in browser.cookies), "Ritmo set no state cookie"
    form = FORM.search(auth_page.text)
    assert form, auth_page.text
    action, fields = unescape(form.group(1)), {k: unescape(v) for k, v in FIELD.findall(form.group(2))}
    assert action == platform.tool_url + "/lti/launch"
    page = browser.post(action, data=fields, timeout=10)
    assert page.status_code == 200, page.text[:2000]
    match = re.search(r'<meta name="ritmo-session" content="([^"]+)">', page.text)
    assert match, page.text[:2000]
    return page.text, match.group(1)


def me(tool: ToolServer, token: str) -> dict[str, Any]:
    response = requests.get(
        tool.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_instructor_launch_from_lti1p3platform(interop) -> None:
    platform, tool = interop
    page, token = browser_launch(platform, "teacher-1", "instructor")
    assert "Welcome, <bdi>Interop Instructor</bdi>." in page
    assert "You coordinate this programme." in page
    who = me(tool, token)
    assert who["role"] == "coordinator"
    assert who["is_mentor"] is False
    assert who["user"]["sub"] == "teacher-1"
    assert who["user"]["email"] == "instructor@interop.invalid"
    assert who["course"]["context_id"] == CONTEXT_ID
    assert who["course"]["title"] == "Interop 101"
    assert who["platform"]["issuer"] == platform.url


def test_learner_launch_from_lti1p3platform(interop) -> None:
    platform, tool = interop
    browser_launch(platform, "teacher-1", "instructor")
    page, token = browser_launch(platform, "student-1", "learner")
    assert "Welcome, <bdi>Interop Learner</bdi>." in page
    assert "You take part as a mentee." in page
    assert "You coordinate this programme." not in page
    who = me(tool, token)
    assert who["role"] == "participant"
    assert who["user"]["sub"] == "student-1"
    teacher_course = me(tool, browser_launch(platform, "teacher-1", "instructor")[1])["course"]
    assert who["course"]["id"] == teacher_course["id"], "both launches land in the same course"


def test_replayed_launch_form_is_refused(interop) -> None:
    """The platform's signed form posted twice: Ritmo consumed the state the first time."""
    platform, tool = interop
    browser = requests.Session()
    auth_page = browser.get(platform.login_url("student-2", "learner"), timeout=10)
    form = FORM.search(auth_page.text)
    assert form
    fields = {k: unescape(v) for k, v in FIELD.findall(form.group(2))}
    assert browser.post(tool.url + "/lti/launch", data=fields, timeout=10).status_code == 200
    again = browser.post(tool.url + "/lti/launch", data=fields, timeout=10)
    assert again.status_code == 400
    assert 'name="ritmo-session"' not in again.text


def test_client_credentials_token_accepted_by_lti1p3platform(interop) -> None:
    """Ritmo's AGS token request (its own assertion code and key) passes the platform's checks."""
    platform, tool = interop
    conf = platform.conf()
    endpoint = tokens.TokenEndpoint(client_id=CLIENT_ID, token_url=platform.url + "/token")
    signer = keys.signing_key()
    token = tokens.request_token(
        http.client(), endpoint, signer, ags.DELIVERY_SCOPES, timeout=(3, 10)
    )
    assert token.expires_in == 3600
    assert conf.validate_token(token.value, allowed_scopes=[ags.SCOPE_SCORE])
    assert conf.validate_token(token.value, allowed_scopes=[ags.SCOPE_LINEITEM])

    # The platform checked the signature against Ritmo's published JWKS, fetched over HTTP, but
    # lti1p3platform ignores aud: check the assertion's claims the way the spec asks.
    (form,) = platform.token_requests
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == tokens.ASSERTION_TYPE
    published = requests.get(tool.url + "/lti/jwks", timeout=10).json()
    header = jwt.get_unverified_header(form["client_assertion"])
    assert header["kid"] == signer.kid
    (jwk,) = [k for k in published["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(
        form["client_assertion"], jwt.PyJWK(jwk).key, algorithms=["RS256"],
        audience=platform.url + "/token", options={"require": ["iss", "sub", "aud", "exp", "jti"]},
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID


def test_token_request_signed_with_another_key_is_refused(interop) -> None:
    """The negative control: the platform really verifies against Ritmo's JWKS."""
    platform, _ = interop
    endpoint = tokens.TokenEndpoint(client_id=CLIENT_ID, token_url=platform.url + "/token")
    impostor = keys.SigningKey(
        keys.signing_key().kid, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    with pytest.raises(AccessTokenError) as refused:
        tokens.request_token(
            http.client(), endpoint, impostor, ags.DELIVERY_SCOPES, timeout=(3, 10)
        )
    assert refused.value.status == 400
    assert platform.token_requests and not platform.issued_tokens
    assert platform.refusals == ["Signature verification failed"]
