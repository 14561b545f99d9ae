"""The LTI 1.3 login and launch checks, as a pipeline of named steps on top of pylti1p3.

pylti1p3 finds the registration (through :class:`DatabaseToolConf`), the deployment and the message
validators. It does not check ``aud``/``azp`` properly, does not consume nonces, keeps state where a
second server process cannot see it, and fetches keys without a ``kid`` cache; those steps are ours.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Request as FlaskRequestObj
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.request import Request
from pylti1p3.session import SessionService

from lti_tool.cache import cache
from lti_tool.errors import RitmoError
from lti_tool.http import http_session
from lti_tool.launch import claims as launch_claims
from lti_tool.launch import id_token, login_state, memo, origins, platform_keys, registry
from lti_tool.launch.models import PlatformStatus
from lti_tool.launch.tool_config import DatabaseToolConf, PlatformRegistration

log = logging.getLogger("lti_tool.security")

STATE_COOKIE_PREFIX = "lti1p3-"
# pylti1p3 puts this before the unique part of every state it issues.
STATE_PREFIX = "state-"
STORAGE_FIELD = "lti_storage_state"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "nonce"]
TARGET_LINK_URI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


class LaunchRejected(RitmoError):
    """A login or launch that failed a check. ``reason`` is logged for the admin, never shown."""

    status = 400
    title = _l("Ritmo could not be opened")
    default_detail = _l(
        "The launch from your course could not be verified. Go back to the course page and open "
        "Ritmo again; if it keeps failing, tell your LMS administrator the time of this attempt."
    )

    def __init__(self, reason: str, detail: str | None = None, status: int | None = None):
        super().__init__(detail)
        self.reason = reason
        if status:
            self.status = status
        log.warning("launch rejected: %s", reason)


class CookiesBlocked(LaunchRejected):
    status = 401
    default_detail = _l(
        "Your browser blocked the cookie Ritmo needs to start safely inside the course page. "
        "Open Ritmo in a new window from the course, or allow cookies for this site."
    )


class LtiRequest(Request):
    """pylti1p3's request interface over Flask's request."""

    def __init__(self, request: FlaskRequestObj) -> None:
        self._request = request

    @property
    def session(self) -> dict[str, Any]:
        return {}

    def get_param(self, key: str) -> str:
        # pylti1p3 treats "" as absent, like None.
        if self._request.method == "GET":
            return self._request.args.get(key, "")
        return self._request.form.get(key) or self._request.args.get(key, "")

    def get_cookie(self, key: str) -> str | None:
        return self._request.cookies.get(key)

    def is_secure(self) -> bool:
        return self._request.is_secure


class CookieJar(CookieService):
    """Collects the cookies pylti1p3 wants to set; the view writes them on its response."""

    def __init__(self, request: LtiRequest) -> None:
        self._request = request
        self.to_set: dict[str, tuple[str, int | None]] = {}

    def get_cookie(self, name: str) -> str | None:
        return self._request.get_cookie(STATE_COOKIE_PREFIX + name)

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.to_set[STATE_COOKIE_PREFIX + name] = (str(value), exp)

    def update_response(self, response: Any) -> None:
        # Over https, ``SameSite=None; Secure``: the platform's cross-site ``form_post`` carries it
        # (first-party in a new window, even where third-party cookies are blocked). Browsers keep
        # ``None`` only with ``Secure``, so over plain http (``make demo``) it is ``Lax``, which a
        # cross-site post leaves behind: the launch then relays itself once (``NeedsRelay``).
        secure = self._request.is_secure()
        for key, (value, max_age) in self.to_set.items():
            response.set_cookie(
                key, value, max_age=max_age, path="/lti/", httponly=True, secure=secure,
                samesite="None" if secure else "Lax",
            )


class StateRecorder(SessionService):
    """Stands in for pylti1p3's session: remembers what the login issued so we can store it."""

    def __init__(self) -> None:
        self.nonce: str | None = None
        self.params: dict[str, object] = {}

    def save_nonce(self, nonce: str) -> None:
        self.nonce = nonce

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        self.params = params

    def set_data_storage(self, data_storage: Any) -> None:
        return None


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    nonce: str
    cookies: CookieJar
    storage_target: str | None
    platform_origin: str


class Login(OIDCLogin):
    def __init__(self, request: LtiRequest) -> None:
        self.recorder = StateRecorder()
        self.jar = CookieJar(request)
        self.state_token = ""
        super().__init__(request, DatabaseToolConf(), self.recorder, self.jar)

    def _get_uuid(self) -> str:
        # pylti1p3 asks for the state's unique part once it knows the registration.
        registration = self._registration
        assert isinstance(registration, PlatformRegistration)
        self.state_token = login_state.issue(
            registration.platform_id, bool(self._get_request_param("lti_storage_target"))
        )
        return self.state_token

    def _generate_nonce(self) -> str:
        return login_state.nonce_for(self.state_token)

    def get_redirect(self, url: str) -> Any:
        raise NotImplementedError("Ritmo builds its own redirect from the prepared URL")


def start_login(request: FlaskRequestObj, launch_url: str) -> LoginRedirect:
    """OIDC third-party initiated login: validate, remember state and nonce, build the redirect."""
    lti_request = LtiRequest(request)
    login = Login(lti_request)
    try:
        url = login._prepare_redirect_url(launch_url)
    except OIDCException as error:
        raise LaunchRejected(
            f"login: {error} (iss={lti_request.get_param('iss')!r}, "
            f"client_id={lti_request.get_param('client_id')!r})",
            _("This course's LMS is not registered with Ritmo, or the link is incomplete. "
            "Ask your LMS administrator to register Ritmo (they will find the values at /lti/setup)."),
        ) from error
    registration = login._registration
    assert isinstance(registration, PlatformRegistration)
    if registration.platform_status is not PlatformStatus.ACTIVE:
        raise LaunchRejected(
            f"login: platform {registration.platform_id} is {registration.platform_status}",
            _("Ritmo's registration for this LMS is waiting for approval by the Ritmo administrator."),
            status=403,
        )
    # The state is signed and kept by the browser and the platform, not here (``login_state``).
    state = next(iter(login.jar.to_set))[len(STATE_COOKIE_PREFIX):]
    assert login.recorder.nonce is not None
    storage_target = lti_request.get_param("lti_storage_target") or None
    return LoginRedirect(
        url=url,
        state=state,
        nonce=login.recorder.nonce,
        cookies=login.jar,
        storage_target=storage_target,
        platform_origin=origin_of(registration.get_auth_login_url() or ""),
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_tool_url(url: str) -> bool:
    """``url`` is on Ritmo's origin (``BASE_URL``), under its path, and names Ritmo itself or a
    page Ritmo serves (the launch URL, where Ritmo's registrations and deep links point)."""
    base = current_app.config["BASE_URL"]
    if not origins.url_within(url, base):
        return False
    prefix = urlsplit(base).path.rstrip("/")
    path = (urlsplit(url).path or "/")[len(prefix):] or "/"
    if path == "/":
        return True
    adapter = current_app.url_map.bind("tool")
    return any(adapter.test(path, method) for method in ("POST", "GET"))


ANONYMOUS_DETAIL = _l(
    "Ritmo needs to know who you are, but your LMS launched it anonymously. "
    "Ask your LMS administrator to share the user identity with Ritmo."
)


def _detail_for(reason: str) -> Any:
    """A more specific message for the person, where the reason is theirs to act on."""
    if "(sub)" in reason:
        return ANONYMOUS_DETAIL
    if "deployment" in reason:
        return _(
            "This placement of Ritmo (its deployment) is not registered. Ask your LMS administrator "
            "to add the deployment id to Ritmo's registration."
        )
    return None


class NeedsStorageCheck(Exception):
    """The browser sent no state cookie, but the platform offers LTI Platform Storage: the page must
    read the state there and post the launch again."""

    def __init__(self, platform_origin: str) -> None:
        super().__init__(platform_origin)
        self.platform_origin = platform_origin


class NeedsRelay(Exception):
    """No state cookie came with the platform's cross-site post, in a window of its own: a ``Lax``
    cookie (plain http) stays behind on a cross-site post but comes with a same-site one, so the
    page posts the launch again, once, from Ritmo's own origin."""


RELAY_FIELD = "ritmo_relayed"


class Launch(MessageLaunch):
    """A message launch validated by Ritmo's pipeline (see :meth:`validate`)."""

    def __init__(self, request: FlaskRequestObj) -> None:
        self.lti_request = LtiRequest(request)
        super().__init__(
            self.lti_request, DatabaseToolConf(), StateRecorder(), CookieJar(self.lti_request),
            requests_session=http_session(),  # not a new Session (and its adapters) per launch
        )
        self.set_auto_validation(False)
        self.claims: dict[str, Any] = {}
        # What the shared cache holds under ``memo.key`` for this person (see ``launch.memo``).
        self.memo_entry: dict[str, Any] | None = None
        self.course_stamp: str | None = None
        self._jws = id_token.CompactJws(header={}, body={}, signing_input=b"", signature=b"")

    def _get_request_param(self, key: str) -> str:
        return self.lti_request.get_param(key) or ""

    @property
    def registration(self) -> PlatformRegistration:
        assert isinstance(self._registration, PlatformRegistration)
        return self._registration

    def get_client_id(self) -> str:
        """``azp`` when present; otherwise ``aud`` must name exactly one client."""
        body = self._jwt.get("body", {})
        aud, azp = body.get("aud"), body.get("azp")
        if azp:
            return str(azp)
        if isinstance(aud, str):
            return aud
        if isinstance(aud, list) and len(aud) == 1:
            return str(aud[0])
        raise LtiException("aud names several clients and azp is missing")

    def validate(self) -> Launch:
        self._validated = True
        try:
            self.validate_jwt_format().validate_registration()
            self.validate_platform_status()
            self.validate_jwt_signature()
            self.validate_target_link_uri()
            self.validate_state_and_nonce()
            self.validate_deployment()
            self.validate_message()
        except LtiException as error:
            raise LaunchRejected(f"launch: {error}", _detail_for(str(error))) from error
        self.claims = dict(self._jwt["body"])
        return self

    def may_relay(self) -> bool:
        """Not relayed yet, and not in a frame (where the cookie is third-party and blocked: a
        relay would not bring it)."""
        request = self.lti_request._request
        return not request.form.get(RELAY_FIELD) and (
            request.headers.get("Sec-Fetch-Dest") != "iframe"
        )

    def validate_platform_status(self) -> Launch:
        if self.registration.platform_status is not PlatformStatus.ACTIVE:
            raise LaunchRejected(
                f"launch: platform {self.registration.platform_id} is not active",
                _("Ritmo's registration for this LMS is waiting for approval by the Ritmo "
                  "administrator."),
                status=403,
            )
        return self

    def validate_jwt_format(self) -> Launch:
        try:
            self._jws = id_token.parse(self._get_id_token())
        except id_token.TokenError as error:
            raise LtiException(str(error)) from error
        # pylti1p3's own checks (deployment, message) read the parsed token from here.
        self._jwt = {"header": cast(Any, self._jws.header), "body": cast(Any, self._jws.body)}
        return self

    def validate_jwt_signature(self) -> Launch:
        kid = self._jws.header.get("kid")
        if not kid:
            raise LtiException("id_token header has no kid")
        registration = self.registration
        client_id = registration.get_client_id() or ""
        try:
            key = platform_keys.public_key(registration.get_key_set_url() or "", kid)
            id_token.verify_rs256(self._jws, key)
            id_token.check_claims(
                self._jws.body,
                issuer=registration.get_issuer() or "",
                client_id=client_id,
                leeway=current_app.config["JWT_LEEWAY_SECONDS"],
                required=REQUIRED_CLAIMS,
            )
        except (platform_keys.KeySetError, id_token.TokenError) as error:
            raise LtiException(str(error)) from error
        body = self._jws.body
        aud = body["aud"]
        # Several audiences: azp must be present and name us (OIDC Core 3.1.3.7).
        if isinstance(aud, list) and len(aud) > 1 and body.get("azp") != client_id:
            raise LtiException("aud has several values and azp does not name this tool")
        if "azp" in body and body["azp"] != client_id:
            raise LtiException("azp does not name this tool")
        return self

    def validate_target_link_uri(self) -> Launch:
        """The platform must have meant to open *this* tool (1EdTech Security Framework 5.1.1.5):
        a token minted for another tool's URL is not replayed here."""
        target = self._jws.body.get(TARGET_LINK_URI_CLAIM)
        if not isinstance(target, str) or not is_tool_url(target):
            raise LaunchRejected(
                f"launch: target_link_uri {str(target)[:300]!r} is not a URL of this tool "
                f"(platform {self.registration.platform_id})",
                _("This link in your course points to another address than Ritmo's. Ask your LMS "
                  "administrator to check the tool URL in Ritmo's registration (it is shown at "
                  "/lti/setup)."),
            )
        return self

    def validate_state_and_nonce(self) -> Launch:
        state = self._get_request_param("state")
        if not state:
            raise LtiException("missing state")
        record = login_state.read(state.removeprefix(STATE_PREFIX))
        if record is None:
            raise LtiException("state not issued by this tool, or expired")
        from_cookie = self.lti_request.get_cookie(STATE_COOKIE_PREFIX + state)
        from_storage = self._get_request_param(STORAGE_FIELD)
        if from_cookie != state and from_storage != state:
            if record.storage:
                raise NeedsStorageCheck(origin_of(self.registration.get_auth_login_url() or ""))
            if self.may_relay():
                raise NeedsRelay()
            raise CookiesBlocked("launch: state cookie missing and no platform storage")
        if from_cookie != state and not record.storage:
            raise LtiException("state proven through platform storage, which login did not use")
        if record.platform_id != self.registration.platform_id:
            raise LtiException("state was issued for another platform")
        if not secrets.compare_digest(str(self._jwt["body"].get("nonce", "")), record.nonce):
            raise LtiException("nonce does not match the one issued at login")
        # Spend the state (and its nonce) for every server process; the same round trip reads the
        # launch memo that recording the launch will consult, and the stamp of the launch's course
        # that its steps' kept values must match.
        body: dict[str, Any] = dict(self._jwt["body"])
        sub = body.get("sub")
        keys = [memo.key(self.registration.scope, sub)] if isinstance(sub, str) and sub else []
        # As ``claims.wanted`` reads it, which is what ``Course.context_id`` holds.
        context = launch_claims.part(body, launch_claims.CLAIM + "context")
        context_id = launch_claims.text(context.get("id"))
        if keys and context_id:
            keys.append(memo.course_key(self.registration.scope, context_id))
        spent_now, found = cache().claim_and_get(record.spent_key, login_state.spent_ttl(), *keys)
        if not spent_now:
            raise LtiException("state already used")
        if found:
            self.memo_entry = found[0]
            self.course_stamp = memo.stamp_of(found[1]) if len(found) > 1 else None
        return self

    def validate_deployment(self) -> Launch:
        try:
            return super().validate_deployment()  # type: ignore[return-value]
        except LtiException:
            if not self.registration.accept_first_deployment:
                raise
        deployment_id = self._get_deployment_id()
        platform = registry.get_platform(self.registration.platform_id)
        if platform.deployments:
            raise LtiException(f"deployment {deployment_id!r} is not registered")
        # Canvas may register without naming the deployment: the first launch names it, once.
        registry.add_deployment(platform.id, deployment_id)
        log.info("platform %s: accepted first deployment %s", platform.id, deployment_id)
        return self
