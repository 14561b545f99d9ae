"""OIDC authentication endpoint: answers the tool's auth request with a signed id_token."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from itsdangerous import BadData

from .platform import get_platform

bp = Blueprint("demo_oidc", __name__)

_FIXED = {
    "scope": "openid",
    "response_type": "id_token",
    "response_mode": "form_post",
    "prompt": "none",
}


class AuthError(Exception):
    """An invalid authentication request (rendered as a 400 page)."""


@bp.errorhandler(AuthError)
def _auth_error(exc: AuthError) -> tuple[str, int]:
    get_platform().stats.incr("auth_errors")
    return (
        render_template(
            "demo/error.html", title="Invalid LTI authentication request", message=str(exc)
        ),
        400,
    )


@bp.route("/demo/auth", methods=["GET", "POST"])
def auth() -> Response | str:
    """Validate the OIDC auth request and auto-POST id_token + state to the tool."""
    platform = get_platform()
    cfg = platform.config
    platform.stats.incr("auth_requests")
    params = request.values
    for name, expected in _FIXED.items():
        value = params.get(name)
        # scope may carry extra scopes per OIDC, but must include openid.
        ok = expected in (value or "").split() if name == "scope" else value == expected
        if not ok:
            raise AuthError(f"{name} must be {expected!r} (got {value!r})")
    client_id = params.get("client_id")
    if client_id != cfg.client_id:
        raise AuthError(f"unknown client_id {client_id!r}")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in cfg.redirect_uris:
        raise AuthError(
            f"redirect_uri {redirect_uri!r} is not registered for this tool "
            f"(registered: {', '.join(cfg.redirect_uris)})"
        )
    for name in ("nonce", "state", "login_hint", "lti_message_hint"):
        if not params.get(name):
            raise AuthError(f"{name} is required")
    try:
        hint = platform.loads(params["lti_message_hint"], salt="message-hint")
    except BadData as exc:
        raise AuthError("lti_message_hint is invalid or expired") from exc
    user_id = params["login_hint"]
    course = platform.courses.get(str(hint.get("ctx")))
    if course is None or course.member(user_id) is None:
        raise AuthError(f"login_hint {user_id!r} is not a known user")
    if hint.get("u") != user_id:
        raise AuthError("login_hint does not match the lti_message_hint")
    try:
        claims = platform.build_id_token(
            user_id,
            message=str(hint["m"]),
            link_id=hint.get("rl"),
            context_id=course.context_id,
            nonce=params["nonce"],
            presentation=str(hint.get("p", "iframe")),
        )
    except (KeyError, ValueError) as exc:
        raise AuthError(f"cannot build the launch: {exc}") from exc
    platform.stats.incr("id_tokens_issued")
    html = render_template(
        "demo/form_post.html",
        action=redirect_uri,
        fields={"id_token": platform.sign(claims), "state": params["state"]},
    )
    resp = Response(html, mimetype="text/html")
    # The id_token must not be cached anywhere.
    resp.headers["Cache-Control"] = "no-store"
    return resp
