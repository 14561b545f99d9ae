"""The contract, served: ``/api/openapi.json`` (the document), ``/api/docs`` (a readable
reference), and the answer to a version Ritmo does not have."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_babel import gettext as _

from lti_tool.api import openapi, versions
from lti_tool.api.spec import Response as Answer
from lti_tool.api.spec import document, undocumented
from lti_tool.errors import NotFound

bp = Blueprint("api", __name__)


@bp.get("/api/openapi.json")
@document(
    "Get this OpenAPI document",
    description="The contract of every operation: public, it holds no data.",
    tags=("contract",),
    responses={200: Answer("The OpenAPI 3.1 document (JSON).")},
    auth=("none",),
)
def openapi_json() -> Response:
    response = jsonify(openapi.openapi_document(current_app))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/api/docs")
@document(
    "Read the API reference",
    description="This document rendered as a page (Swagger UI), where an operation can be tried.",
    tags=("contract",),
    responses={200: Answer("The reference page.", media_type="text/html")},
    auth=("none",),
)
def reference() -> str:
    return render_template("api/docs.html")


@bp.route(
    "/api/v<int:version>/", defaults={"rest": ""}, strict_slashes=False,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
)
@bp.route("/api/v<int:version>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@undocumented("a refusal, not an operation: any version but 1 (v1 is rewritten before routing)")
def unknown_version(version: int, rest: str) -> Any:
    raise NotFound(
        _("This API has no version %(asked)s. The versions it has: %(known)s (paths /api/v%(current)s/...).",
          asked=version, known=", ".join(str(v) for v in versions.SUPPORTED), current=versions.CURRENT),
        versions=list(versions.SUPPORTED),
    )
