"""Deep linking round trips: the demo LMS and the PyPI ``lti1p3platform`` platform each send an
``LtiDeepLinkingRequest``, an instructor picks items in Ritmo, and the platform verifies Ritmo's
signed ``LtiDeepLinkingResponse`` and places the links, which then launch what was picked.

Ritmo runs on a real HTTP port here: the platforms fetch its JWKS to verify the response.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import jwt
import pytest
import requests
from flask import Flask, redirect, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as PlatformRequest

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.demo import DemoPlatform, start_demo_server
from lti_tool.demo.server import ServerHandle, serve_in_thread
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import issue_token, read_token
from lti_tool.launch import deep_linking, registry, targets
from lti_tool.launch.api_schemas import PickerOfferOut, PickerPlacedOut
from lti_tool.launch.keys import signing_key
from tests.lti_platform import INSTRUCTOR, LEARNER, LTI, session_token, start_login
from tests.schema_check import conforms

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
INSTRUCTOR_ID = "u-instructor"
LEARNER_ID = "u-learner-01"


# --- a browser without a browser: follows redirects, reads forms, posts them -----------------

@dataclass
class Form:
    action: str
    fields: dict[str, str]
    choices: list[str]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), {}, []))
        elif tag == "input" and self.forms:
            if values.get("type") in ("checkbox", "radio"):
                self.forms[-1].choices.append(values.get("value", ""))
            elif values.get("name"):
                self.forms[-1].fields[values["name"]] = values.get("value", "")


def form_of(html: str, index: int = 0) -> Form:
    parser = _FormParser()
    parser.feed(html)
    assert parser.forms, html[:2000]
    return parser.forms[index]


def absolute(base: str, action: str) -> str:
    return action if action.startswith("http") else base + action


def launch_via_login(browser: requests.Session, login_url: str) -> requests.Response:
    """Third-party login at Ritmo -> platform auth -> the platform's auto-posted id_token."""
    auth_page = browser.get(login_url, timeout=10)
    assert auth_page.status_code == 200, auth_page.text[:1000]
    post = form_of(auth_page.text)
    return browser.post(post.action, data=post.fields, timeout=10)


def pick(browser: requests.Session, tool_url: str, picker_page: requests.Response,
         targets: list[str]) -> requests.Response:
    form = form_of(picker_page.text)
    return browser.post(absolute(tool_url, form.action),
                        data={**form.fields, "item": targets}, timeout=10)


def return_to_platform(browser: requests.Session, page: requests.Response) -> requests.Response:
    form = form_of(page.text)
    assert set(form.fields) == {"JWT"}
    return browser.post(form.action, data=form.fields, timeout=10)


# --- a graded placeable kind and its page (Ritmo over HTTP: the ``ritmo`` fixture) ---------

@pytest.fixture
def graded_kind(app: Flask) -> str:
    """A second feature's items (one graded) and the page a placed one opens."""

    def checkpoints(ctx: LaunchContext) -> list[deep_linking.PlaceableItem]:
        return [
            deep_linking.PlaceableItem(
                title="First meeting held", text="Graded when the pair meets.",
                target="checkpoint:7",
                line_item={"scoreMaximum": 1, "label": "First meeting", "tag": "ritmo-milestone"},
            ),
            deep_linking.PlaceableItem(title="Plan agreed", target="checkpoint:8"),
        ]

    def open_checkpoint(ctx: LaunchContext, argument: str) -> str:
        return f"<p id='opened'>checkpoint {argument} for user {ctx.user_id}</p>"

    deep_linking.register_offer(app, "checkpoint", checkpoints)
    targets.register(app, "checkpoint", open_checkpoint)
    return "checkpoint"


# --- the demo LMS ------------------------------------------------------------------------------

@pytest.fixture
def demo(app: Flask, ritmo: ServerHandle) -> Iterator[ServerHandle]:
    handle = start_demo_server({"tool_base_url": ritmo.url})
    registry.add_platform(DemoPlatform.of(handle.app).registration())
    yield handle
    handle.shutdown()


def demo_launch(browser: requests.Session, demo: ServerHandle, user: str, **kwargs: Any):
    platform = DemoPlatform.of(demo.app)
    return launch_via_login(browser, platform.login_initiation_url(user, **kwargs))


def test_demo_lms_round_trip_places_and_opens_items(ritmo, demo, graded_kind):
    browser = requests.Session()
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    assert picker.status_code == 200, picker.text[:1000]
    form = form_of(picker.text)
    # The platform's return URL never reaches the page: only an opaque picker id does.
    assert "deep_link_return" not in picker.text
    assert form.choices == ["programme", "checkpoint:7", "checkpoint:8"]

    answer = pick(browser, ritmo.url, picker, ["programme", "checkpoint:7"])
    assert answer.status_code == 200, answer.text[:1000]
    done = return_to_platform(browser, answer)
    assert done.status_code == 200, done.text[:1000]

    placements = requests.get(demo.url + "/demo/placements", timeout=5).json()["placements"]
    assert [p["custom"] for p in placements] == [
        {"ritmo_target": "programme"}, {"ritmo_target": "checkpoint:7"}]
    assert placements[0]["url"] == ritmo.url + "/lti/launch"
    assert placements[0]["lineitem_id"] is None
    assert placements[1]["lineitem_id"] is not None  # the graded item got a gradebook column
    gradebook = requests.get(demo.url + "/demo/gradebook", timeout=5).json()
    assert "First meeting" in json.dumps(gradebook)

    # A learner launching the placed checkpoint lands on that item.
    opened = demo_launch(browser, demo, LEARNER_ID, link_id=placements[1]["link_id"])
    assert opened.status_code == 200
    assert "checkpoint 7 for user" in opened.text
    home = demo_launch(browser, demo, LEARNER_ID, link_id=placements[0]["link_id"])
    assert home.status_code == 200 and "Mentoring 101" in home.text


def test_picker_is_single_use_and_a_replay_is_refused(ritmo, demo):
    browser = requests.Session()
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    answer = pick(browser, ritmo.url, picker, ["programme"])
    assert return_to_platform(browser, answer).status_code == 200
    # Submitting the picker again (back button) does not mint a second response.
    again = pick(browser, ritmo.url, picker, ["programme"])
    assert again.status_code == 404 and "already" in again.text
    # The demo LMS refuses the same signed response twice.
    assert return_to_platform(browser, answer).status_code == 400


def test_learner_gets_a_clear_403(ritmo, demo):
    browser = requests.Session()
    page = demo_launch(browser, demo, LEARNER_ID, message="deeplink")
    assert page.status_code == 403
    # This demo learner launches with the "it" locale: the refusal speaks Italian.
    assert 'lang="it"' in page.text
    assert "Solo i docenti possono aggiungere Ritmo al corso" in page.text


def test_choices_are_checked_on_the_server(ritmo, demo, graded_kind):
    browser = requests.Session()
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    forged = pick(browser, ritmo.url, picker, ["checkpoint:999"])
    assert forged.status_code == 422 and "cannot be placed here" in forged.text
    empty = pick(browser, ritmo.url, picker, [])
    assert empty.status_code == 422 and "Choose at least one item" in empty.text
    # A form error leaves the picker usable.
    answer = pick(browser, ritmo.url, picker, ["checkpoint:8"])
    assert return_to_platform(browser, answer).status_code == 200


def test_picker_id_is_bound_to_its_user(ritmo, demo, app):
    browser = requests.Session()
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    form = form_of(picker.text)
    # Another coordinator of the same course holding the picker's id.
    ctx = session_context(app, form.fields["ritmo_session"])
    with app.app_context():
        colleague = User(platform_id=ctx.platform_id, sub="another-instructor")
        db.session.add(colleague)
        db.session.commit()
        other = LaunchContext(platform_id=ctx.platform_id, user_id=colleague.id,
                              course_id=ctx.course_id, role=ctx.role)
    stolen = browser.post(absolute(ritmo.url, form.action),
                          data={"ritmo_session": issue_token(other), "item": ["programme"]},
                          timeout=10)
    assert stolen.status_code == 404


def session_context(app: Flask, token: str) -> LaunchContext:
    with app.test_request_context():
        return read_token(token)


# --- the JSON API (headless clients) ------------------------------------------------------------

def test_api_offers_and_places(ritmo, demo, graded_kind):
    browser = requests.Session()
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    form = form_of(picker.text)
    picker_id = form.action.rsplit("/", 1)[1]
    headers = {"Authorization": "Bearer " + form.fields["ritmo_session"]}
    offer = browser.get(f"{ritmo.url}/api/deep-linking/{picker_id}", headers=headers, timeout=5)
    assert offer.status_code == 200
    assert [i["target"] for i in offer.json()["items"]] == ["programme", "checkpoint:7", "checkpoint:8"]
    assert offer.json()["accept_multiple"] is True
    conforms(PickerOfferOut, offer.json())
    placed = browser.post(f"{ritmo.url}/api/deep-linking/{picker_id}", headers=headers,
                          json={"items": ["checkpoint:7"]}, timeout=5)
    assert placed.status_code == 200
    body = placed.json()
    conforms(PickerPlacedOut, body)
    assert body["return_url"] == demo.url + "/demo/deep_link_return"
    assert body["content_items"][0]["lineItem"]["scoreMaximum"] == 1
    assert requests.post(body["return_url"], data={"JWT": body["jwt"]}, timeout=5).status_code == 200
    bad = browser.post(f"{ritmo.url}/api/deep-linking/{picker_id}", headers=headers,
                       json={"items": "programme"}, timeout=5)
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"


# --- the signed response itself -----------------------------------------------------------------

def test_response_claims(client, platform, app):
    """Signed with Ritmo's current key (kid header), addressed to the platform, data echoed."""
    auth = start_login(client, platform)
    settings = {"deep_link_return_url": platform.issuer + "/dl-return", "accept_multiple": False,
                "accept_types": ["ltiResourceLink"], "data": "opaque-123",
                "accept_presentation_document_targets": ["iframe", "window"]}
    claims = platform.claims(auth["nonce"], roles=[INSTRUCTOR], **{
        LTI + "message_type": "LtiDeepLinkingRequest", LTI + "resource_link": None,
        DL + "deep_linking_settings": settings})
    page = client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]})
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    html = page.get_data(as_text=True)
    assert 'type="radio"' in html  # accept_multiple false: one choice
    form = form_of(html)
    two = client.post(form.action, data={**form.fields, "item": ["programme", "programme "]})
    assert two.status_code == 422
    answer = client.post(form.action, data={**form.fields, "item": "programme"})
    assert answer.status_code == 200
    returned = form_of(answer.get_data(as_text=True))
    assert returned.action == platform.issuer + "/dl-return"
    token = returned.fields["JWT"]
    header = jwt.get_unverified_header(token)
    key = signing_key()
    assert header["kid"] == key.kid and header["alg"] == "RS256"
    body = jwt.decode(token, key.private_key.public_key(), algorithms=["RS256"],
                      audience=platform.issuer, issuer=platform.client_id)
    assert body[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert body[LTI + "version"] == "1.3.0"
    assert body[LTI + "deployment_id"] == platform.deployment_id
    assert body[DL + "data"] == "opaque-123"
    assert body["nonce"] != auth["nonce"] and body["exp"] > time.time()
    [item] = body[DL + "content_items"]
    assert item == {"type": "ltiResourceLink", "title": "Mentoring 101",
                    "text": item["text"], "url": "http://127.0.0.1:5000/lti/launch",
                    "custom": {"ritmo_target": "programme"}}


def test_platform_that_takes_no_links_is_refused(client, platform):
    auth = start_login(client, platform)
    settings = {"deep_link_return_url": platform.issuer + "/r", "accept_types": ["html"],
                "accept_presentation_document_targets": ["iframe"]}
    claims = platform.claims(auth["nonce"], roles=[INSTRUCTOR], **{
        LTI + "message_type": "LtiDeepLinkingRequest", DL + "deep_linking_settings": settings})
    page = client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]})
    # pylti1p3's message validation refuses it before the picker opens.
    assert page.status_code == 400
    assert "Add to course" not in page.get_data(as_text=True)


# --- lti1p3platform (PyPI) as the platform -----------------------------------------------------

PLATFORM_CLIENT_ID = "lti1p3platform-client"
PLATFORM_DEPLOYMENT = "lti1p3platform-deployment"


class FlaskPlatformRequest(PlatformRequest):
    def build_metadata(self, req: Any) -> Any:
        return {"method": req.method, "form_data": req.form.to_dict(), "get_data": req.args.to_dict(),
                "headers": dict(req.headers), "content_type": req.content_type, "path": req.path,
                "json": None}


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = json.dumps(kwargs)

    def get_redirect(self, url: str) -> Any:
        return redirect(url)


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        return (f'<form method="post" action="{launch_data["launch_url"]}">'
                f'<input type="hidden" name="id_token" value="{launch_data["id_token"]}">'
                f'<input type="hidden" name="state" value="{launch_data["state"]}"></form>')


@dataclass
class Lti1p3Platform:
    handle: ServerHandle
    registration: Registration
    placed: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return self.handle.url


def build_lti1p3platform(tool_url: str) -> Lti1p3Platform:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    registration = (
        Registration()
        .set_client_id(PLATFORM_CLIENT_ID)
        .set_deployment_id(PLATFORM_DEPLOYMENT)
        .set_launch_url(tool_url + "/lti/launch")
        .set_deeplink_launch_url(tool_url + "/lti/launch")
        .set_oidc_login_url(tool_url + "/lti/login")
        .set_tool_key_set_url(tool_url + "/lti/jwks")
        .set_platform_public_key(public_pem)
        .set_platform_private_key(private_pem)
    )
    placed: list[dict[str, Any]] = []
    web = Flask("lti1p3platform_test")

    def conf() -> PlatformConf:
        return PlatformConf(registration=registration)

    @web.get("/jwks")
    def jwks() -> Any:
        platform = conf()
        platform.get_registration()
        return platform.get_jwks()

    @web.get("/start")
    def start() -> Any:
        login = Login(FlaskPlatformRequest(request), conf())
        login.set_lti_message_hint(user=request.args["user"], dl=request.args.get("dl", ""),
                                   target=request.args.get("target", "programme"))
        if request.args.get("dl"):
            login.set_deeplinking_launch_url()
        return login.initiate_login(request.args["user"])

    @web.get("/auth")
    def auth() -> Any:
        hint = json.loads(request.args["lti_message_hint"])
        message = Launch(FlaskPlatformRequest(request), conf())
        roles = [INSTRUCTOR] if hint["user"].startswith("teacher") else [LEARNER]
        message.set_user_data(hint["user"], roles, full_name="Pat Platform")
        message.set_launch_context_claim("lti1p3-course", context_title="Platform course")
        if hint["dl"]:
            message.set_dl(registration.get_iss() + "/dl-return", title="Add content",
                           accept_types={"ltiResourceLink"}, extra_data={"slot": 4})
        else:
            message.set_resource_link_claim("link-" + hint["target"])
            message.set_custom_parameters_claim({"ritmo_target": hint["target"]})
        return message.lti_launch()

    @web.post("/dl-return")
    def dl_return() -> Any:
        platform = conf()
        platform.get_registration()
        items = platform.validate_deeplinking_resp({"JWT": request.form["JWT"]})
        placed.extend(items)
        return {"placed": len(items)}

    handle = serve_in_thread(web, "127.0.0.1", 0)
    registration.set_iss(handle.url)
    return Lti1p3Platform(handle, registration, placed)


@pytest.fixture
def lti1p3(app: Flask, ritmo: ServerHandle) -> Iterator[Lti1p3Platform]:
    platform = build_lti1p3platform(ritmo.url)
    registry.add_platform({
        "issuer": platform.url, "client_id": PLATFORM_CLIENT_ID,
        "deployment_ids": [PLATFORM_DEPLOYMENT], "auth_login_url": platform.url + "/auth",
        "auth_token_url": platform.url + "/token", "key_set_url": platform.url + "/jwks",
        "name": "lti1p3platform",
    })
    yield platform
    platform.handle.shutdown()


def test_lti1p3platform_round_trip(ritmo, lti1p3, graded_kind):
    browser = requests.Session()
    picker = launch_via_login(browser, f"{lti1p3.url}/start?user=teacher-1&dl=1")
    assert picker.status_code == 200, picker.text[:1000]
    answer = pick(browser, ritmo.url, picker, ["checkpoint:7", "programme"])
    returned = return_to_platform(browser, answer)
    assert returned.status_code == 200, returned.text[:1000]
    assert returned.json() == {"placed": 2}
    checkpoint, programme = lti1p3.placed
    assert checkpoint["custom"] == {"ritmo_target": "checkpoint:7"}
    assert checkpoint["lineItem"]["scoreMaximum"] == 1
    assert programme["url"] == ritmo.url + "/lti/launch"
    # What the library does not check, checked here: audience, issuer, deployment, echoed data.
    token = form_of(answer.text).fields["JWT"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == lti1p3.url and claims["iss"] == PLATFORM_CLIENT_ID
    assert claims[LTI + "deployment_id"] == PLATFORM_DEPLOYMENT
    assert claims[DL + "data"] == {"slot": 4}

    # Launching the placed checkpoint opens it.
    opened = launch_via_login(browser, f"{lti1p3.url}/start?user=learner-1&target=checkpoint:7")
    assert opened.status_code == 200 and "checkpoint 7 for user" in opened.text
    home = launch_via_login(browser, f"{lti1p3.url}/start?user=learner-1&target=programme")
    assert home.status_code == 200 and "Platform course" in home.text


def test_session_of_picker_launch_reads_api(ritmo, demo):
    browser = requests.Session()
    picker = demo_launch(browser, demo, INSTRUCTOR_ID, message="deeplink")
    token = session_token(picker.text)
    me = browser.get(ritmo.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me.json()["role"] == "coordinator"
    db.session.remove()
