"""HTML pages (course, launch frames) and the JSON inspection/control endpoints."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request

from .platform import get_platform
from .roster import Course, Person

bp = Blueprint("demo_pages", __name__)


@bp.get("/")
def index() -> str:
    """The course with its people, each with "Launch as ..." links."""
    platform = get_platform()
    return render_template(
        "demo/index.html",
        courses=list(platform.courses.values()),
        links={ctx: platform.links(ctx) for ctx in platform.courses},
        registration=platform.registration(),
    )


def _launch_target() -> tuple[Course, Person, str, str | None]:
    platform = get_platform()
    course = platform.courses.get(request.args.get("ctx", platform.course.context_id))
    if course is None:
        abort(404, "unknown course")
    person = course.member(request.args.get("user", ""))
    if person is None:
        abort(404, "unknown user: pass ?user=<id> of a course member")
    message = request.args.get("message", "resource")
    if message not in ("resource", "deeplink"):
        abort(400, "message must be 'resource' or 'deeplink'")
    link_id = request.args.get("link") or next(iter(course.links))
    if message == "resource" and platform.find_link(course.context_id, link_id) is None:
        abort(404, f"unknown resource link {link_id!r}")
    return course, person, message, (link_id if message == "resource" else None)


def _render_launch(template: str, presentation: str) -> str:
    platform = get_platform()
    course, person, message, link_id = _launch_target()
    src = platform.login_initiation_url(
        person.user_id,
        message=message,
        link_id=link_id,
        context_id=course.context_id,
        presentation=presentation,
    )
    link = platform.find_link(course.context_id, link_id) if link_id else None
    return render_template(
        template,
        course=course,
        person=person,
        message=message,
        link=link,
        links=platform.links(course.context_id),
        login_url=src,
        platform_storage=platform.config.platform_storage and presentation == "iframe",
        tool_origins=platform.config.tool_origins,
    )


@bp.get("/demo/launch")
def launch() -> str:
    """Course page hosting the tool in an iframe (third-party initiated login)."""
    return _render_launch("demo/launch.html", "iframe")


@bp.get("/demo/launch-window")
def launch_window() -> str:
    """Same launch, opened in a new window."""
    return _render_launch("demo/launch_window.html", "window")


@bp.get("/demo/return")
def launch_return() -> str:
    """launch_presentation.return_url: shows lti_msg / lti_errormsg from the tool."""
    return render_template(
        "demo/return.html",
        msg=request.args.get("lti_msg"),
        errormsg=request.args.get("lti_errormsg"),
    )


@bp.get("/demo/jwks")
def jwks() -> Response:
    resp = jsonify(get_platform().jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get("/demo/registration")
def registration() -> Response:
    return jsonify(get_platform().registration())


@bp.get("/demo/stats")
def stats() -> Response:
    platform = get_platform()
    return jsonify({**platform.stats.snapshot(), "faults_injected": platform.faults.injected})


@bp.get("/demo/gradebook")
def gradebook() -> Response:
    """Per line item and user: latest score and how many score POSTs arrived."""
    platform = get_platform()
    return jsonify(
        platform.gradebook.snapshot(lambda item: platform.lineitem_url(item.context_id, item.id))
    )


@bp.get("/demo/placements")
def placements() -> Response:
    return jsonify(placements=get_platform().placements.all())


@bp.route("/demo/faults", methods=["GET", "POST"])
def faults() -> Response | tuple[Response, int]:
    """Read or replace the fault-injection settings at runtime."""
    injector = get_platform().faults
    if request.method == "POST":
        data: Any = request.get_json(silent=True)
        if not isinstance(data, dict):
            return jsonify(error="body must be a JSON object"), 400
        try:
            injector.configure(data)
        except (TypeError, ValueError) as exc:
            return jsonify(error=str(exc)), 400
    return jsonify(injector.describe())
