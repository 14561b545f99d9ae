"""LTI endpoints: OIDC login, launch, and the tool's public keys."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.identity.session import issue_token
from lti_tool.launch import keys, targets
from lti_tool.launch.security import STORAGE_FIELD, Launch, NeedsStorageCheck, start_login
from lti_tool.launch.service import record_launch
from lti_tool.ratelimit import limit

bp = Blueprint("lti", __name__)


def launch_url() -> str:
    return current_app.config["BASE_URL"] + url_for("lti.launch")


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
    registration = message.registration
    recorded = record_launch(
        registration.platform_id, message.claims, registration.scope, message.memo_entry
    )
    ctx = recorded.context
    return targets.respond(ctx, issue_token(ctx), message, recorded.link_target)


@bp.get("/lti/jwks")
@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
