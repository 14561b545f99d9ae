"""LTI endpoints: OIDC login, launch, and the tool's public keys."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.accounts.models import ResourceLink
from lti_tool.db import db
from lti_tool.identity.session import current_context, issue_token, login_required
from lti_tool.launch import keys, targets
from lti_tool.launch.security import (
    RELAY_FIELD,
    STORAGE_FIELD,
    Launch,
    NeedsRelay,
    NeedsStorageCheck,
    start_login,
)
from lti_tool.launch.service import record_launch, remember
from lti_tool.ratelimit import limit

bp = Blueprint("lti", __name__)


def launch_url() -> str:
    return current_app.config["BASE_URL"] + url_for("lti.launch")


# What a platform sends to start a login, carried over when the login starts again in a new window
# (without ``lti_storage_target``: there is no parent frame to keep the state).
LOGIN_PARAMS = (
    "iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id"
)


def window_login_url() -> str:
    """This login's address as a top-level page can open it (a GET, whatever the platform sent)."""
    params = {k: request.values[k] for k in LOGIN_PARAMS if request.values.get(k)}
    return current_app.config["BASE_URL"] + url_for("lti.login") + "?" + urlencode(params)


@bp.route("/lti/login", methods=["GET", "POST"])
@limit("login")
def login() -> WerkzeugResponse:
    started = start_login(request, launch_url())
    response: WerkzeugResponse
    if started.storage_target:
        # The platform keeps the state for us (LTI Platform Storage): put it there, then go on.
        response = Response(
            render_template(
                "launch/storage_login.html",
                state=started.state,
                nonce=started.nonce,
                target=started.storage_target,
                platform_origin=started.platform_origin,
                auth_url=started.url,
                window_url=window_login_url(),
            )
        )
    elif request.headers.get("Sec-Fetch-Dest") == "iframe":
        # No platform storage, in a frame: the state cookie may be blocked there (a third-party
        # cookie). The page checks, and where it is blocked offers the login again in a new window.
        response = Response(
            render_template(
                "launch/window_login.html", auth_url=started.url, window_url=window_login_url()
            )
        )
    else:
        response = redirect(started.url, code=302)
    started.cookies.update_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/lti/launch")
@limit("launch")
def launch() -> Response | str:
    message = Launch(request)
    try:
        message.validate()
    except NeedsStorageCheck as check:
        return render_template(
            "launch/storage_check.html",
            id_token=request.form.get("id_token", ""),
            state=request.form.get("state", ""),
            storage_field=STORAGE_FIELD,
            platform_origin=check.platform_origin,
            target=request.form.get("lti_storage_target") or "_parent",
        )
    except NeedsRelay:
        relay = Response(
            render_template(
                "launch/relay.html",
                id_token=request.form.get("id_token", ""),
                state=request.form.get("state", ""),
                relay_field=RELAY_FIELD,
            )
        )
        relay.headers["Cache-Control"] = "no-store"  # it holds the id_token
        return relay
    registration = message.registration
    recorded = record_launch(
        registration.platform_id, message.claims, registration.scope, message.memo_entry,
        message.course_stamp,
    )
    ctx = recorded.context
    remember(recorded, targets.run_steps(ctx, recorded.kept))
    return targets.respond(ctx, issue_token(ctx), message, recorded.link_target)


@bp.get("/lti/launch")
@login_required
def launched_page() -> Any:
    """The page a launch opened, again, for its session (``?rh=``): what Ritmo's "Open in a new
    window" button opens when the frame still shows the launch's response."""
    ctx = current_context()
    link = (
        db.session.get(ResourceLink, ctx.resource_link_id) if ctx.resource_link_id else None
    )
    return targets.open_page(ctx, link.target if link and link.course_id == ctx.course_id else None)


@bp.get("/lti/jwks")
@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
