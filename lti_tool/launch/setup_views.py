"""Registration and placement pages: dynamic registration, Canvas's JSON, the setup page, and the
deep-linking picker (its launch page and its form)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

from lti_tool.api.spec import document
from lti_tool.errors import InvalidInput
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import current_context, login_required
from lti_tool.launch import api_schemas, deep_linking, dynamic_registration, tool_configuration
from lti_tool.ratelimit import limit

bp = Blueprint("lti_setup", __name__)

# Registration fetches URLs the request names: keep it slow for anyone probing with it.
KIND_LABELS = {"programme": _l("Programme"), "milestone": _l("Milestones"),
               "webinar": _l("Webinars"), "content": _l("Content")}


@bp.route("/lti/register", methods=["GET", "POST"])
@bp.route("/lti/register/<invite>", methods=["GET", "POST"])
@limit("register")
def register(invite: str | None = None) -> tuple[str, int] | str:
    """Dynamic registration; through an admin's registration link (``invite``) it is active at once."""
    try:
        result = dynamic_registration.register(
            request.values.get("openid_configuration", ""),
            request.values.get("registration_token") or None,
            invite,
        )
    except dynamic_registration.RegistrationFailed as error:
        return render_template("launch/registration_error.html", error=error), error.status
    return render_template("launch/registered.html", result=result)


@bp.get("/lti/config.json")
def canvas_config() -> Response:
    response = jsonify(tool_configuration.canvas_configuration())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/setup")
def setup() -> str:
    return render_template(
        "launch/setup.html",
        urls=tool_configuration.tool_urls(),
        name=tool_configuration.tool_name(),
        custom=tool_configuration.custom_parameter_lines(),
        registration_json=json.dumps(tool_configuration.registration_request(), indent=2),
        canvas_json=json.dumps(tool_configuration.canvas_configuration(), indent=2),
    )


def picker(ctx: LaunchContext, message: object) -> str:
    claims = getattr(message, "claims", {})
    settings = deep_linking.begin(ctx, claims)
    return _render_picker(ctx, settings)


def _render_picker(ctx: LaunchContext, settings: deep_linking.DeepLinkSettings,
                   error: InvalidInput | None = None, chosen: list[str] | None = None) -> str:
    return render_template(
        "launch/picker.html",
        settings=settings,
        groups=deep_linking.offer(ctx),
        kind_labels=KIND_LABELS,
        error=error,
        chosen=set(chosen or []),
    )


@bp.post("/lti/deep-linking/<picker_id>")
@login_required
def place(picker_id: str) -> tuple[str, int] | str:
    ctx = current_context()
    targets = request.form.getlist("item")
    try:
        result = deep_linking.respond(ctx, picker_id, targets)
    except InvalidInput as error:
        settings = deep_linking.settings_for(ctx, picker_id)
        return _render_picker(ctx, settings, error, targets), error.status
    return render_template("launch/deep_link_return.html", result=result)


@bp.get("/api/deep-linking/<picker_id>")
@document(
    "List what the picker may place",
    description="The coordinator who opened the deep-linking picker (``picker_id`` comes from that "
    "launch; 404 once it has expired or been used).",
    tags=("deep-linking",),
    responses={200: api_schemas.PickerOfferOut},
)
@login_required
def api_offer(picker_id: str) -> dict[str, object]:
    ctx = current_context()
    settings = deep_linking.settings_for(ctx, picker_id)
    return api_schemas.PickerOfferOut().dump({
        "accept_multiple": settings.accept_multiple,
        "items": [
            {"kind": group.kind, "title": item.title, "text": item.text, "target": item.target,
             "graded": item.graded}
            for group in deep_linking.offer(ctx) for item in group.items
        ],
    })


@bp.post("/api/deep-linking/<picker_id>")
@document(
    "Place the chosen items in the course",
    description="The coordinator who opened the picker: signs the deep-linking response for the chosen "
    "targets (offered ones only); the picker is then spent.",
    tags=("deep-linking",),
    body=api_schemas.PickerChoiceIn,
    responses={200: api_schemas.PickerPlacedOut},
)
@login_required
def api_place(picker_id: str) -> dict[str, object]:
    choice = api_schemas.PickerChoiceIn().load(request.get_json(silent=True) or {})
    result = deep_linking.respond(current_context(), picker_id, choice["items"])
    return api_schemas.PickerPlacedOut().dump(result)
