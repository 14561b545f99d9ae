"""The demo LMS exercised as a real HTTP server on 127.0.0.1 (no Flask test client)."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from lti_tool.demo import (
    DemoPlatform,
    ServerHandle,
    create_demo_lms,
    demo_registration,
    serve_in_thread,
    start_demo_server,
)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
LINEITEM_MT = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_MT = "application/vnd.ims.lis.v1.score+json"
TOOL = "http://127.0.0.1:5000"
TIMEOUT = 10


# --- a tiny "tool" that only serves its JWKS ----------------------------------------


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_of(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


@dataclass
class ToolJwks:
    """The tool side: its signing key and a JWKS endpoint the demo fetches."""

    key: rsa.RSAPrivateKey
    kid: str = "tool-1"
    extra: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0
    handle: ServerHandle | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.fetches += 1
        body = json.dumps({"keys": [jwk_of(self.key, self.kid), *self.extra]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    @property
    def url(self) -> str:
        assert self.handle is not None
        return self.handle.url + "/lti/jwks"

    def sign(
        self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None, kid: str | None = None
    ) -> str:
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )


@pytest.fixture(scope="module")
def tool_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def platform_pem() -> bytes:
    # One platform key for all demos in this module: key generation is the slow part.
    return DemoPlatform.of(create_demo_lms()).key.private_key_pem


@pytest.fixture
def tool(tool_key: rsa.RSAPrivateKey) -> Iterator[ToolJwks]:
    jwks = ToolJwks(tool_key)
    jwks.handle = serve_in_thread(jwks)
    yield jwks
    jwks.handle.shutdown()


@dataclass
class Demo:
    handle: ServerHandle
    platform: DemoPlatform
    tool: ToolJwks

    @property
    def url(self) -> str:
        return self.handle.url

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=TIMEOUT, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=TIMEOUT, **kw)

    def assertion(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": "ritmo-demo",
            "sub": "ritmo-demo",
            "aud": self.url + "/demo/token",
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return claims

    def token_request(self, assertion: str, scope: str) -> requests.Response:
        return self.post(
            "/demo/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "scope": scope,
            },
        )

    def bearer(self, *scopes: str) -> dict[str, str]:
        resp = self.token_request(self.tool.sign(self.assertion()), " ".join(scopes))
        assert resp.status_code == 200, resp.text
        return {"Authorization": "Bearer " + resp.json()["access_token"]}


def start(tool: ToolJwks, pem: bytes, **config: Any) -> Demo:
    handle = start_demo_server({"tool_jwks_url": tool.url, "private_key_pem": pem, **config})
    return Demo(handle, DemoPlatform.of(handle.app), tool)


@pytest.fixture
def demo(tool: ToolJwks, platform_pem: bytes) -> Iterator[Demo]:
    d = start(tool, platform_pem)
    yield d
    d.handle.shutdown()


ALL_AGS = (AGS + "lineitem", AGS + "result.readonly", AGS + "score")


# --- helpers ---------------------------------------------------------------------


def iframe_src(page: str) -> str:
    match = re.search(r'<iframe[^>]*\ssrc="([^"]+)"', page)
    assert match, "no iframe in launch page"
    return html.unescape(match.group(1))


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def login_params(demo: Demo, user: str, message: str = "resource", **extra: str) -> dict[str, str]:
    page = demo.get("/demo/launch", params={"user": user, "message": message, **extra})
    assert page.status_code == 200
    src = iframe_src(page.text)
    assert src.startswith(TOOL + "/lti/login?")
    return {k: v[0] for k, v in parse_qs(urlsplit(src).query).items()}


def auth_params(login: dict[str, str], **overrides: str) -> dict[str, str]:
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login["client_id"],
        "redirect_uri": TOOL + "/lti/launch",
        "login_hint": login["login_hint"],
        "lti_message_hint": login["lti_message_hint"],
        "nonce": "n-" + uuid.uuid4().hex,
        "state": "s-" + uuid.uuid4().hex,
    }
    params.update(overrides)
    return params


def verify_id_token(demo: Demo, token: str, nonce: str) -> dict[str, Any]:
    jwks = demo.get("/demo/jwks").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims: dict[str, Any] = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["RS256"], audience="ritmo-demo", issuer=demo.url
    )
    assert claims["nonce"] == nonce
    return claims


def launch(demo: Demo, user: str, message: str = "resource", **extra: str) -> dict[str, Any]:
    params = auth_params(login_params(demo, user, message, **extra))
    resp = demo.post("/demo/auth", data=params)
    assert resp.status_code == 200, resp.text
    action, fields = form_fields(resp.text)
    assert action == params["redirect_uri"]
    assert fields["state"] == params["state"]
    return verify_id_token(demo, fields["id_token"], params["nonce"])


def score(user: str, given: float, ts: datetime, maximum: float = 10) -> dict[str, Any]:
    return {
        "userId": user,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": ts.isoformat(),
    }


def with_path(url: str, suffix: str) -> str:
    """Insert a path suffix before the query string (how AGS clients must do it)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}{suffix}?{parts.query}"


def next_url(resp: requests.Response) -> str | None:
    link = resp.headers.get("Link")
    if not link:
        return None
    # Undo the latin-1 decoding of raw UTF-8 header bytes so “quirk” quotes are readable.
    link = link.encode("latin-1").decode("utf-8")
    match = re.match(r'<([^>]+)>;\s*rel=["\u201c]next["\u201d]', link)
    assert match, link
    return match.group(1)


# --- keys, registration, pages ---------------------------------------------------------


def test_jwks_and_registration(demo: Demo) -> None:
    keys = demo.get("/demo/jwks").json()["keys"]
    assert len(keys) == 1
    assert {keys[0]["alg"], keys[0]["use"], keys[0]["kty"]} == {"RS256", "sig", "RSA"}
    assert keys[0]["kid"] == demo.platform.key.kid
    reg = demo.get("/demo/registration").json()
    assert reg == demo_registration({"base_url": demo.url})
    assert reg["auth_login_url"] == demo.url + "/demo/auth"
    assert reg["auth_token_url"] == demo.url + "/demo/token"
    assert reg["key_set_url"] == demo.url + "/demo/jwks"
    assert reg["deployment_ids"] == ["1"] and reg["name"] == "Ritmo demo LMS"


def test_unknown_config_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="tool_jwks"):
        demo_registration({"tool_jwks": "typo"})


def test_index_lists_people_with_launch_links(demo: Demo) -> None:
    page = demo.get("/").text
    assert "Mentoring 101" in page
    assert page.count(">Launch as ") == 36  # instructor + 30 learners + 5 mentors
    assert "Launch as Irene Instructor" in page
    assert "Liam O&#39;Connor" in page  # escaped, not broken markup


def test_launch_page_builds_third_party_login(demo: Demo) -> None:
    login = login_params(demo, "u-learner-01", link="rl-ritmo-journal")
    assert login["iss"] == demo.url
    assert login["login_hint"] == "u-learner-01"
    assert login["client_id"] == "ritmo-demo" and login["lti_deployment_id"] == "1"
    assert login["target_link_uri"] == TOOL + "/lti/launch"
    assert "lti_storage_target" not in login
    assert demo.get("/demo/launch", params={"user": "nobody"}).status_code == 404


def test_platform_storage_target_and_handler(tool: ToolJwks, platform_pem: bytes) -> None:
    d = start(tool, platform_pem, platform_storage=True)
    try:
        page = d.get("/demo/launch", params={"user": "u-mentor-01"}).text
        assert parse_qs(urlsplit(iframe_src(page)).query)["lti_storage_target"] == ["_parent"]
        for subject in ("lti.capabilities", "lti.put_data", "lti.get_data", ".response"):
            assert subject in page
        assert '["http://127.0.0.1:5000"]' in page  # answers only the tool's origin
        window = d.get("/demo/launch-window", params={"user": "u-mentor-01"}).text
        assert "lti_storage_target" not in window and 'target="_blank"' in window
    finally:
        d.handle.shutdown()


# --- OIDC auth ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"redirect_uri": TOOL + "/evil"}, "redirect_uri"),
        ({"redirect_uri": TOOL + "/lti/launch/"}, "redirect_uri"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"prompt": "login"}, "prompt"),
        ({"response_mode": "query"}, "response_mode"),
        ({"scope": "profile"}, "scope"),
        ({"nonce": ""}, "nonce"),
        ({"state": ""}, "state"),
        ({"login_hint": "u-ghost"}, "login_hint"),
        ({"login_hint": "u-learner-02"}, "login_hint"),
        ({"lti_message_hint": "tampered"}, "lti_message_hint"),
    ],
)
def test_auth_rejects_bad_requests(demo: Demo, override: dict[str, str], message: str) -> None:
    params = auth_params(login_params(demo, "u-learner-01"), **override)
    resp = demo.get("/demo/auth", params=params)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("text/html")
    assert message in resp.text and "id_token" not in resp.text


def test_auth_resource_launch_claims(demo: Demo) -> None:
    claims = launch(demo, "u-learner-01")
    assert claims["sub"] == "u-learner-01" and claims["azp"] == "ritmo-demo"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["given_name"] == "Giulia" and claims["locale"] == "it"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == "1"
    assert claims[LTI + "resource_link"]["id"] == "rl-ritmo-main"
    assert claims[LTI + "context"]["id"] == "CourseA"
    assert claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert claims[LTI + "launch_presentation"]["document_target"] == "iframe"
    assert claims[LTI + "tool_platform"]["product_family_code"] == "ritmo-demo"
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["lineitems"] == demo.url + "/demo/courses/CourseA/lineitems?type_id=1"
    assert ags["lineitem"] == demo.url + "/demo/courses/CourseA/lineitems/1?type_id=1"
    assert AGS + "score" in ags["scope"]
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["context_memberships_url"] == demo.url + "/demo/courses/CourseA/memberships"
    assert nrps["service_versions"] == ["2.0"]


def test_auth_mentor_and_ungraded_link(demo: Demo) -> None:
    claims = launch(demo, "u-mentor-01", link="rl-ritmo-journal")
    assert MENTOR in claims[LTI + "roles"]
    assert claims[LTI + "custom"] == {"ritmo_role": "mentor", "ritmo_view": "journal"}
    assert "lineitem" not in claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    # Some platforms have no Mentor role: only the custom parameter marks a mentor.
    claims = launch(demo, "u-mentor-04")
    assert MENTOR not in claims[LTI + "roles"]
    assert claims[LTI + "custom"]["ritmo_role"] == "mentor"


def test_auth_deep_linking_request(demo: Demo) -> None:
    claims = launch(demo, "u-instructor", message="deeplink")
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert LTI + "resource_link" not in claims
    settings = claims[DL + "deep_linking_settings"]
    assert settings["deep_link_return_url"] == demo.url + "/demo/deep_link_return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True and settings["data"]


def test_omit_pii_claims(tool: ToolJwks, platform_pem: bytes) -> None:
    d = start(tool, platform_pem, omit_pii_claims=True)
    try:
        claims = launch(d, "u-learner-03")
        assert not {"name", "given_name", "family_name", "email"} & set(claims)
    finally:
        d.handle.shutdown()


def test_sign_helper_mints_verifiable_and_bad_tokens(demo: Demo) -> None:
    good = demo.platform.id_token("u-learner-05", nonce="abc")
    assert verify_id_token(demo, good, "abc")["sub"] == "u-learner-05"
    bad = demo.platform.sign({"iss": demo.url, "aud": "ritmo-demo"}, kid="no-such-kid")
    assert jwt.get_unverified_header(bad)["kid"] == "no-such-kid"


# --- token endpoint ---------------------------------------------------------------------


def test_token_accepts_tool_assertion(demo: Demo) -> None:
    resp = demo.token_request(demo.tool.sign(demo.assertion()), AGS + "score " + NRPS_SCOPE)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == {AGS + "score", NRPS_SCOPE}
    assert demo.get("/demo/stats").json()["token_requests"] == 1


def test_token_rejections(demo: Demo) -> None:
    other = new_key()
    cases = [
        (demo.tool.sign(demo.assertion(), key=other), 401, "invalid_client"),  # wrong signature
        (demo.tool.sign(demo.assertion(), kid="unknown"), 401, "invalid_client"),
        (demo.tool.sign(demo.assertion(iss="intruder", sub="intruder")), 401, "invalid_client"),
        (demo.tool.sign(demo.assertion(aud=demo.url)), 400, "invalid_grant"),
        (demo.tool.sign(demo.assertion(exp=int(time.time()) - 120)), 400, "invalid_grant"),
        ("not-a-jwt", 401, "invalid_client"),
    ]
    for assertion, status, error in cases:
        resp = demo.token_request(assertion, AGS + "score")
        assert (resp.status_code, resp.json()["error"]) == (status, error), resp.text
    bad_scope = demo.token_request(demo.tool.sign(demo.assertion()), "https://example.com/all")
    assert (bad_scope.status_code, bad_scope.json()["error"]) == (400, "invalid_scope")
    stats = demo.get("/demo/stats").json()
    assert stats["token_requests"] == 7 and stats.get("tokens_issued", 0) == 0


def test_token_jti_is_single_use(demo: Demo) -> None:
    assertion = demo.tool.sign(demo.assertion())
    assert demo.token_request(assertion, AGS + "score").status_code == 200
    replay = demo.token_request(assertion, AGS + "score")
    assert replay.status_code == 400 and "jti" in replay.json()["error_description"]


def test_token_refetches_jwks_on_unknown_kid(demo: Demo) -> None:
    assert demo.token_request(demo.tool.sign(demo.assertion()), AGS + "score").status_code == 200
    assert demo.tool.fetches == 1
    rotated = new_key()
    demo.tool.extra.append(jwk_of(rotated, "tool-2"))
    again = demo.tool.sign(demo.assertion(), key=rotated, kid="tool-2")
    assert demo.token_request(again, AGS + "score").status_code == 200
    assert demo.tool.fetches == 2
    # Known kid: served from cache.
    assert demo.token_request(demo.tool.sign(demo.assertion()), AGS + "score").status_code == 200
    assert demo.tool.fetches == 2


# --- AGS ---------------------------------------------------------------------------------


def create_item(demo: Demo, headers: dict[str, str], **body: Any) -> requests.Response:
    return demo.post(
        "/demo/courses/CourseA/lineitems?type_id=1",
        json={"label": "Item", "scoreMaximum": 10, **body},
        headers={**headers, "Content-Type": LINEITEM_MT},
    )


def test_ags_requires_bearer_and_scope(demo: Demo) -> None:
    url = "/demo/courses/CourseA/lineitems?type_id=1"
    assert demo.get(url).status_code == 401
    assert demo.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    readonly = demo.bearer(AGS + "lineitem.readonly")
    assert demo.get(url, headers=readonly).status_code == 200
    assert create_item(demo, readonly).status_code == 403
    assert demo.get(url, headers=demo.bearer(NRPS_SCOPE)).status_code == 403


def test_ags_lineitems_create_filter_and_page(demo: Demo) -> None:
    auth = demo.bearer(*ALL_AGS)
    created = create_item(demo, auth, label="Week 1", tag="week", resourceId="w1")
    assert created.status_code == 201
    item = created.json()
    assert item["id"].endswith("/demo/courses/CourseA/lineitems/2?type_id=1")
    assert created.headers["Location"] == item["id"]
    for n in range(2, 6):
        assert create_item(demo, auth, label=f"Week {n}", tag="week").status_code == 201
    assert create_item(demo, auth, resourceLinkId="rl-nope").status_code == 400
    assert create_item(demo, auth, scoreMaximum=0).status_code == 400

    base = demo.url + "/demo/courses/CourseA/lineitems?type_id=1"
    by_link = requests.get(base + "&resource_link_id=rl-ritmo-main", headers=auth, timeout=TIMEOUT)
    assert [i["label"] for i in by_link.json()] == ["Ritmo mentoring participation"]
    by_res = requests.get(base + "&resource_id=w1", headers=auth, timeout=TIMEOUT)
    assert [i["label"] for i in by_res.json()] == ["Week 1"]

    labels: list[str] = []
    url: str | None = base + "&tag=week&limit=2"
    pages = 0
    while url:
        resp = requests.get(url, headers=auth, timeout=TIMEOUT)
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith(
            "application/vnd.ims.lis.v2.lineitemcontainer+json"
        )
        labels += [i["label"] for i in resp.json()]
        url = next_url(resp)
        if url:
            assert "type_id=1" in url and "/CourseA/" in url
        pages += 1
    assert labels == [f"Week {n}" for n in range(1, 6)] and pages == 3

    # Line item URLs are used verbatim: dropping the query string is an error.
    assert requests.get(item["id"].split("?")[0], headers=auth, timeout=TIMEOUT).status_code == 400
    got = requests.get(item["id"], headers=auth, timeout=TIMEOUT)
    assert got.status_code == 200 and got.json()["tag"] == "week"
    put = requests.put(
        item["id"],
        json={"id": item["id"], "label": "Week one", "scoreMaximum": 20},
        headers={**auth, "Content-Type": LINEITEM_MT},
        timeout=TIMEOUT,
    )
    assert put.status_code == 200 and put.json()["label"] == "Week one"
    assert requests.delete(item["id"], headers=auth, timeout=TIMEOUT).status_code == 204
    assert requests.get(item["id"], headers=auth, timeout=TIMEOUT).status_code == 404


@pytest.mark.parametrize(
    ("mode", "quirky"), [("always", [True, True]), ("alternate", [True, False])]
)
def test_ags_moodle_link_quirk(
    tool: ToolJwks, platform_pem: bytes, mode: str, quirky: list[bool]
) -> None:
    d = start(tool, platform_pem, link_header_quirk=mode)
    try:
        auth = d.bearer(*ALL_AGS)
        create_item(d, auth)
        seen = []
        for _ in quirky:
            resp = d.get("/demo/courses/CourseA/lineitems?type_id=1&limit=1", headers=auth)
            # Raw UTF-8 on the wire, as Moodle sends it.
            raw = resp.headers["Link"].encode("latin-1").decode("utf-8")
            seen.append(raw.endswith("rel=\u201cnext\u201d"))
            nxt = requests.get(next_url(resp) or "", headers=auth, timeout=TIMEOUT)
            assert nxt.status_code == 200 and len(nxt.json()) == 1
        assert seen == quirky
    finally:
        d.handle.shutdown()


def test_errors_are_json_for_services_and_html_for_pages(demo: Demo) -> None:
    api = demo.get("/demo/courses/CourseA/lineitems/99/nowhere?type_id=1")
    assert api.status_code == 404 and api.json()["error"] == "not_found"
    item = demo.get("/demo/courses/CourseA/lineitems/99?type_id=1", headers=demo.bearer(*ALL_AGS))
    assert item.status_code == 404 and "99" in item.json()["error_description"]
    page = demo.get("/demo/launch", params={"user": "u-learner-01", "link": "rl-nope"})
    assert page.status_code == 404 and "rl-nope" in page.text
    assert page.headers["Content-Type"].startswith("text/html")


def test_scores_latest_wins_and_counts(demo: Demo) -> None:
    auth = demo.bearer(*ALL_AGS)
    item = create_item(demo, auth, label="Sessions").json()
    scores_url = with_path(item["id"], "/scores")
    assert scores_url.endswith("/lineitems/2/scores?type_id=1")
    t0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    headers = {**auth, "Content-Type": SCORE_MT}

    def post(body: dict[str, Any]) -> requests.Response:
        return requests.post(scores_url, data=json.dumps(body), headers=headers, timeout=TIMEOUT)

    assert post(score("u-learner-01", 4, t0)).json()["status"] == "stored"
    assert post(score("u-learner-01", 7, t0 + timedelta(minutes=5))).status_code == 200
    stale = post(score("u-learner-01", 2, t0 - timedelta(minutes=5)))
    assert stale.status_code == 200 and stale.json()["status"] == "ignored_stale"
    assert post(score("u-learner-02", 10, t0)).status_code == 200

    book = {i["lineitem_id"]: i for i in demo.get("/demo/gradebook").json()["lineitems"]}
    entry = book[2]["scores"]["u-learner-01"]
    assert entry["latest"]["scoreGiven"] == 7
    assert (entry["posts"], entry["stale_ignored"]) == (3, 1)
    assert book[2]["scores"]["u-learner-02"]["posts"] == 1

    results = requests.get(
        with_path(item["id"], "/results") + "&user_id=u-learner-01", headers=auth, timeout=TIMEOUT
    ).json()
    assert [(r["userId"], r["resultScore"]) for r in results] == [("u-learner-01", 7)]


def test_concurrent_scores_are_all_counted(demo: Demo) -> None:
    headers = {**demo.bearer(AGS + "score"), "Content-Type": SCORE_MT}
    url = demo.url + "/demo/courses/CourseA/lineitems/1/scores?type_id=1"
    t0 = datetime(2026, 3, 1, tzinfo=UTC)

    def post(n: int) -> int:
        body = score(f"u-learner-{n % 4 + 1:02d}", n % 10, t0 + timedelta(seconds=n))
        return requests.post(url, json=body, headers=headers, timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(post, range(40))) == {200}
    scores = demo.get("/demo/gradebook").json()["lineitems"][0]["scores"]
    assert sum(entry["posts"] for entry in scores.values()) == 40
    # Whatever the arrival order, the newest timestamp wins for every user.
    assert scores["u-learner-01"]["latest"]["timestamp"] == (t0 + timedelta(seconds=36)).isoformat()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"scoreGiven": 11}, 400),
        ({"scoreGiven": -1}, 400),
        ({"userId": "u-stranger"}, 400),
        ({"activityProgress": "Done"}, 400),
        ({"gradingProgress": "Graded"}, 400),
        ({"timestamp": "yesterday"}, 400),
        ({"timestamp": "2026-03-01T10:00:00"}, 400),  # no timezone
    ],
)
def test_score_validation(demo: Demo, change: dict[str, Any], status: int) -> None:
    auth = {**demo.bearer(AGS + "score"), "Content-Type": SCORE_MT}
    url = demo.url + "/demo/courses/CourseA/lineitems/1/scores?type_id=1"
    body = {**score("u-learner-01", 5, datetime.now(UTC)), **change}
    assert requests.post(url, json=body, headers=auth, timeout=TIMEOUT).status_code == status
    assert demo.get("/demo/gradebook").json()["lineitems"][0]["scores"] == {}


def test_score_requires_score_media_type(demo: Demo) -> None:
    auth = demo.bearer(AGS + "score")
    url = demo.url + "/demo/courses/CourseA/lineitems/1/scores?type_id=1"
    body = score("u-learner-01", 5, datetime.now(UTC))
    assert requests.post(url, json=body, headers=auth, timeout=TIMEOUT).status_code == 415


# --- NRPS ---------------------------------------------------------------------------------


def test_nrps_paging_keeps_capitals(demo: Demo) -> None:
    auth = demo.bearer(NRPS_SCOPE)
    url: str | None = demo.url + "/demo/courses/CourseA/memberships?limit=10"
    members: list[dict[str, Any]] = []
    while url:
        assert "/CourseA/" in url
        resp = requests.get(url, headers=auth, timeout=TIMEOUT)
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith(
            "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
        )
        body = resp.json()
        assert body["context"]["id"] == "CourseA"
        members += body["members"]
        url = next_url(resp)
    assert len(members) == 36 and len({m["user_id"] for m in members}) == 36
    first = members[0]
    assert first["user_id"] == "u-instructor" and first["name"] == "Irene Instructor"
    assert {m["status"] for m in members} == {"Active", "Inactive"}
    lowered = requests.get(
        demo.url + "/demo/courses/coursea/memberships", headers=auth, timeout=TIMEOUT
    )
    assert lowered.status_code == 404


def test_nrps_role_filter_and_scope(demo: Demo) -> None:
    auth = demo.bearer(NRPS_SCOPE)
    mentors = demo.get("/demo/courses/CourseA/memberships", params={"role": MENTOR}, headers=auth)
    assert [m["user_id"] for m in mentors.json()["members"]] == [
        "u-mentor-01",
        "u-mentor-02",
        "u-mentor-03",
    ]
    short = demo.get("/demo/courses/CourseA/memberships?role=Instructor", headers=auth).json()
    assert [m["user_id"] for m in short["members"]] == ["u-instructor"]
    assert demo.get("/demo/courses/CourseA/memberships?rlid=nope", headers=auth).status_code == 400
    no_scope = demo.bearer(AGS + "score")
    assert demo.get("/demo/courses/CourseA/memberships", headers=no_scope).status_code == 403


# --- faults -------------------------------------------------------------------------------


def statuses(demo: Demo, auth: dict[str, str], n: int) -> list[int]:
    url = "/demo/courses/CourseA/lineitems?type_id=1"
    return [demo.get(url, headers=auth).status_code for _ in range(n)]


def test_fault_fail_rate_is_deterministic_with_seed(demo: Demo) -> None:
    auth = demo.bearer(*ALL_AGS)
    settings = {"fail_rate": 0.3, "status": 500, "seed": 7}
    assert demo.post("/demo/faults", json=settings).status_code == 200
    first = statuses(demo, auth, 30)
    demo.post("/demo/faults", json=settings)
    assert statuses(demo, auth, 30) == first
    assert set(first) == {200, 500} and 3 <= first.count(500) <= 18
    assert demo.get("/demo/faults").json()["fail_rate"] == 0.3
    assert demo.get("/demo/stats").json()["faults_injected"] == 2 * first.count(500)


def test_fault_down_until_and_rate_limit(demo: Demo) -> None:
    auth = demo.bearer(*ALL_AGS)
    demo.post("/demo/faults", json={"down_until": time.time() + 30})
    down = demo.get("/demo/courses/CourseA/lineitems?type_id=1", headers=auth)
    assert down.status_code == 503 and 1 <= int(down.headers["Retry-After"]) <= 30
    token = demo.token_request(demo.tool.sign(demo.assertion()), AGS + "score")
    assert token.status_code == 503
    demo.post("/demo/faults", json={"down_until": time.time() - 1})
    assert statuses(demo, auth, 1) == [200]

    demo.post("/demo/faults", json={"rate_limit_every": 3, "retry_after": 2})
    got = [demo.get("/demo/courses/CourseA/lineitems?type_id=1", headers=auth) for _ in range(6)]
    assert [r.status_code for r in got] == [200, 200, 429, 200, 200, 429]
    assert got[2].headers["Retry-After"] == "2"
    assert demo.post("/demo/faults", json={"fail_rate": 2}).status_code == 400
    assert demo.post("/demo/faults", json={"bogus": 1}).status_code == 400


def test_faults_from_config_spare_nrps(tool: ToolJwks, platform_pem: bytes) -> None:
    d = start(tool, platform_pem, faults={"fail_rate": 1.0, "status": 502, "targets": ["ags"]})
    try:
        auth = d.bearer(*ALL_AGS, NRPS_SCOPE)  # token endpoint is not targeted
        assert statuses(d, auth, 2) == [502, 502]
        assert d.get("/demo/courses/CourseA/memberships", headers=auth).status_code == 200
    finally:
        d.handle.shutdown()


# --- deep linking return -------------------------------------------------------------------


def dl_response(demo: Demo, data: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "ritmo-demo",
        "aud": demo.url,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": "1",
        DL + "data": data,
        DL + "msg": "Added Ritmo",
        DL + "content_items": [
            {
                "type": "ltiResourceLink",
                "title": "Mentoring circle A",
                "url": TOOL + "/lti/launch",
                "custom": {"ritmo_circle": "A"},
                "lineItem": {"scoreMaximum": 5, "label": "Circle A", "tag": "circle"},
            }
        ],
    }
    claims.update(overrides)
    return claims


def test_deep_link_return_places_content(demo: Demo) -> None:
    data = launch(demo, "u-instructor", message="deeplink")[DL + "deep_linking_settings"]["data"]
    # Rejected responses never place anything and do not burn the request's data.
    bad = [
        demo.tool.sign(dl_response(demo, data), key=new_key()),
        demo.tool.sign(dl_response(demo, data, aud="https://elsewhere.example")),
        demo.tool.sign(dl_response(demo, data, iss="intruder")),
        demo.tool.sign(dl_response(demo, "forged-data")),
        demo.tool.sign(dl_response(demo, data, **{LTI + "deployment_id": "2"})),
        demo.tool.sign({k: v for k, v in dl_response(demo, data).items() if k != "nonce"}),
    ]
    for token in bad:
        resp = demo.post("/demo/deep_link_return", data={"JWT": token})
        assert resp.status_code == 400, token
    assert demo.get("/demo/placements").json()["placements"] == []

    good = demo.tool.sign(dl_response(demo, data))
    resp = demo.post("/demo/deep_link_return", data={"JWT": good})
    assert resp.status_code == 200 and "Mentoring circle A" in resp.text
    placements = demo.get("/demo/placements").json()["placements"]
    assert len(placements) == 1
    placed = placements[0]
    assert placed["custom"] == {"ritmo_circle": "A"} and placed["created_by"] == "u-instructor"
    book = demo.get("/demo/gradebook").json()["lineitems"]
    assert [i["resourceLinkId"] for i in book if i["label"] == "Circle A"] == [placed["link_id"]]
    assert "Mentoring circle A" in demo.get("/").text

    # Replay of the same response is refused; the new link is launchable.
    assert demo.post("/demo/deep_link_return", data={"JWT": good}).status_code == 400
    claims = launch(demo, "u-learner-04", link=placed["link_id"])
    assert claims[LTI + "custom"]["ritmo_circle"] == "A"
    assert claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
