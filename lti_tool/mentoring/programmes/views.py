"""The programme home: the first page a launch opens."""

from __future__ import annotations

from flask import Blueprint, render_template

from lti_tool.launch import router
from lti_tool.launch.context import LaunchContext
from lti_tool.launch.session import current_context, login_required
from lti_tool.mentoring.programmes import service

bp = Blueprint("programmes", __name__)


@router.target("programme")
def open_programme(ctx: LaunchContext, argument: str) -> str:
    return _render_home(ctx)


@bp.route("/programme", methods=["GET", "POST"])
@login_required
def home() -> str:
    return _render_home(current_context())


def _render_home(ctx: LaunchContext) -> str:
    overview = service.home_overview(ctx)
    return render_template("programmes/home.html", overview=overview)
