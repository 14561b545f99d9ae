"""The in-frame session: a short-lived signed token instead of a cookie.

Browsers drop third-party cookies inside LMS iframes, so after a launch the page carries a token
(``<meta name="ritmo-session">``) that every later request sends back as ``Authorization: Bearer``
or a POSTed ``ritmo_session`` form field. The token is bound to the platform, user, course and roles
of the launch and expires quickly. It never travels in a URL (access logs, proxies and browser
history keep URLs): links, GET forms and redirects after a form carry a one-time code instead
(``?rh=``, ``identity.handoff``), spent by the request that shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lti_tool.accounts.models import CourseRole
from lti_tool.errors import Forbidden, NotAuthenticated
from lti_tool.identity import handoff, revocation
from lti_tool.identity.context import LaunchContext

FORM_FIELD = "ritmo_session"
# Marks views that need a session, so a write's sender is known before its body is read.
REQUIRES_SESSION = "ritmo_requires_session"
_SALT = "ritmo-session-v1"

F = TypeVar("F", bound=Callable[..., Any])


def _serializer() -> URLSafeTimedSerializer:
    # One per secret: every launch issues a token and every request reads one, and building the
    # serializer (its signer and key derivation) costs more than signing.
    secret = current_app.config["SECRET_KEY"]
    kept = current_app.extensions.get("ritmo_session_serializer")
    if kept is None or kept[0] != secret:
        kept = current_app.extensions["ritmo_session_serializer"] = (
            secret, URLSafeTimedSerializer(secret, salt=_SALT)
        )
    return kept[1]


def issue_token(ctx: LaunchContext) -> str:
    return _serializer().dumps(
        {
            "p": ctx.platform_id,
            "u": ctx.user_id,
            "c": ctx.course_id,
            "r": ctx.role.value,
            "m": ctx.is_mentor,
            "l": ctx.resource_link_id,
            "loc": ctx.locale,
            "t": revocation.now_ms(),  # checked against the person's revocation stamp
        }
    )


def read_token(token: str) -> LaunchContext:
    try:
        data = _serializer().loads(token, max_age=current_app.config["SESSION_TOKEN_TTL_SECONDS"])
    except SignatureExpired as error:
        raise NotAuthenticated() from error
    except BadSignature as error:
        raise NotAuthenticated(
            "Your Ritmo session is not valid. Open Ritmo again from your course."
        ) from error
    if int(data.get("t", 0)) < revocation.valid_after(data["u"]):
        # Erased, or their role or enrolment changed since this session began.
        raise NotAuthenticated(
            _("Your Ritmo session has ended. Open Ritmo again from your course.")
        )
    return LaunchContext(
        platform_id=data["p"],
        user_id=data["u"],
        course_id=data["c"],
        role=CourseRole(data["r"]),
        is_mentor=bool(data.get("m")),
        resource_link_id=data.get("l"),
        locale=data.get("loc"),
    )


def token_from_request() -> str | None:
    """The token of this request: a Bearer header, a ``ritmo_session`` field of a form body, or the
    one a ``?rh=`` code stands for (spent here, once). A token in the query string counts for nothing."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    token = request.form.get(FORM_FIELD)
    if token:
        return token
    code = request.args.get(handoff.QUERY_PARAM)
    if not code:
        return None
    # Kept on this request (``g`` can outlive it): asked twice, the code is gone the second time.
    if "ritmo.handoff" not in request.environ:
        request.environ["ritmo.handoff"] = handoff.spend(code)
    spent: str | None = request.environ["ritmo.handoff"]
    return spent


def session_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` carrying this request's session as a fresh one-time code:
    where a view redirects after a form, so the next page opens signed in."""
    values[handoff.QUERY_PARAM] = handoff.mint(current_token())
    return url_for(endpoint, **values)


def current_context() -> LaunchContext:
    """The launch context of this request, or 401 with a page telling the person what to do."""
    ctx = g.get("launch_context")
    if ctx is None:
        token = token_from_request()
        if not token:
            raise NotAuthenticated()
        ctx = g.launch_context = read_token(token)
        g.session_token = token
    return ctx


def current_token() -> str:
    current_context()
    return g.get("session_token") or issue_token(g.launch_context)


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_context()
        return view(*args, **kwargs)

    setattr(wrapper, REQUIRES_SESSION, True)  # ``limits`` authenticates before reading the body
    return wrapper  # type: ignore[return-value]


def coordinator_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_context().is_coordinator:
            raise Forbidden("Only the course's coordinators (instructors) can do this.")
        return view(*args, **kwargs)

    setattr(wrapper, REQUIRES_SESSION, True)
    return wrapper  # type: ignore[return-value]
