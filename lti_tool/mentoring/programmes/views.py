"""The programme home (the first page a launch opens), programme settings and participants."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.errors import InvalidInput
from lti_tool.fragments import fragment, page
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.lms_admin import is_admin_role, is_lms_admin
from lti_tool.identity.session import coordinator_required, current_context, login_required
from lti_tool.mentoring.attention.registry import kept_count, open_count
from lti_tool.mentoring.matching.views import bp as matching_pages
from lti_tool.mentoring.profiles.views import bp as profiles_pages
from lti_tool.mentoring.programmes import schemas, service
from lti_tool.mentoring.programmes.home import overview as home_overview
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.roster.views import bp as roster_pages
from lti_tool.web import body, form_id

bp = Blueprint("programmes", __name__)
# Profiles, matching and roster pages live under the programme: nested blueprints, part of this
# blueprint's definition like its routes (registered with it, in every app).
for _child in (profiles_pages, matching_pages, roster_pages):
    bp.register_blueprint(_child)
_programme_in = schemas.ProgrammeIn()
_programme_out = schemas.ProgrammeOut()
_participant_in = schemas.ParticipantIn()
_participant_out = schemas.ParticipantOut()


def open_programme(ctx: LaunchContext, argument: str) -> str:
    """The page a launch opens by default (``launch.targets``)."""
    return _render_home(ctx)


@bp.route("/programme", methods=["GET", "POST"])
@login_required
def home() -> str:
    return _render_home(current_context())


def _render_home(ctx: LaunchContext) -> str:
    overview = home_overview(ctx)
    # Coordinators see how many items wait on their attention list (a fragment per count).
    waiting = 0
    if overview.is_coordinator:
        kept = kept_count(overview.programme_id)
        waiting = kept if kept is not None else open_count(service.get_programme(ctx, overview.programme_id))
    nav = fragment(
        "programmes/_home_nav.html",
        programme_id=overview.programme_id,
        coordinator=overview.is_coordinator,
        mode=overview.matching_mode.value,
        role=overview.my_role.value if overview.my_role else None,
        attention=waiting,
        # The LMS's administrators reach the platform's pages from here (the pages check the rule).
        # A launch carries its roles; a session read from its token does not, and asks the enrolment.
        lms_admin=any(map(is_admin_role, ctx.lis_roles)) if ctx.lis_roles else is_lms_admin(ctx),
    )
    # Every launch opens this page: it is kept per programme, role and language, and only the
    # person's name and session token are filled in (``fragments.page``).
    slots = {"display_name": overview.display_name}
    if g.get("session_token"):
        slots["session_token"] = g.session_token
    return page("programmes/home.html", slots, overview=replace(overview, display_name=""), nav=nav)


def _programme(programme_id: int) -> Programme:
    return service.get_programme(current_context(), programme_id)


@bp.get("/api/programmes/<int:programme_id>")
@document(
    "Read a programme's settings",
    description="Anyone taking part in the programme's course may read it.",
    tags=("programmes",),
    responses={200: schemas.ProgrammeOut},
)
@login_required
def get_programme(programme_id: int) -> dict[str, Any]:
    return _programme_out.dump(_programme(programme_id))


@bp.patch("/api/programmes/<int:programme_id>")
@document(
    "Change a programme's settings",
    description="Coordinators only. Send only the settings to change.",
    tags=("programmes",),
    body=schemas.ProgrammeIn,
    responses={200: schemas.ProgrammeOut},
)
@coordinator_required
def configure(programme_id: int) -> dict[str, Any]:
    data = _programme_in.load(body(), partial=True)
    return _programme_out.dump(service.configure(current_context(), _programme(programme_id), data))


@bp.get("/api/programmes/<int:programme_id>/participants")
@document(
    "List a programme's participants",
    description="Coordinators only. Filtered by role and by part of a name or e-mail, a page at a time.",
    tags=("programmes",),
    query=schemas.ParticipantListArgs,
    responses={200: schemas.ParticipantPageOut},
)
@coordinator_required
def participants(programme_id: int) -> dict[str, Any]:
    args = schemas.ParticipantListArgs().load(request.args)
    rows, total = service.participants_page(
        _programme(programme_id),
        role=args["role"],
        search=args["q"],
        page=args["page"],
        per_page=args["per_page"],
    )
    page = {
        "items": [p for p, _u in rows],
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
    }
    return schemas.ParticipantPageOut().dump(page)


@bp.patch("/api/programmes/<int:programme_id>/participants/<int:participant_id>")
@document(
    "Change a participant's role, capacity or status",
    description=(
        "Coordinators only. A changed role or status ends the person's open sessions; a role set "
        "here stands against what the LMS says later."
    ),
    tags=("programmes",),
    body=schemas.ParticipantIn,
    responses={200: schemas.ParticipantOut},
)
@coordinator_required
def change_participant(programme_id: int, participant_id: int) -> dict[str, Any]:
    data = _participant_in.load(body(), partial=True)
    programme = _programme(programme_id)
    person = service.set_participant(
        current_context(), programme, service.get_participant(programme, participant_id), data
    )
    return _participant_out.dump(person)


@bp.put("/api/programmes/<int:programme_id>/me/role")
@document(
    "Choose to be a mentor or a mentee",
    description=(
        "A participant, where the programme lets people choose their role (403 otherwise); "
        "409 while they are in a match."
    ),
    tags=("programmes",),
    body=schemas.RoleChoiceIn,
    responses={200: schemas.ParticipantOut},
    errors=(409,),
)
@login_required
def choose_role(programme_id: int) -> dict[str, Any]:
    data = schemas.RoleChoiceIn().load(body())
    return _participant_out.dump(
        service.choose_role(current_context(), _programme(programme_id), data["role"])
    )


@bp.route("/programmes/<int:programme_id>/settings", methods=["GET", "POST"])
@coordinator_required
def settings_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    errors: Any = {}
    message = None
    sent: dict[str, Any] = {}
    if request.method == "POST":
        data = body()
        data["requires_approval"] = data.get("requires_approval") == "on"
        for name in ("starts_on", "ends_on"):
            data.setdefault(name, None)
        try:
            service.configure(current_context(), programme, _programme_in.load(data, partial=True))
            message = _("Settings saved.")
        except (ValidationError, InvalidInput) as error:
            db.session.rollback()  # nothing half-set stays, on the page or in the database
            programme = _programme(programme_id)
            sent = data  # the form again as typed
            if isinstance(error, ValidationError):
                errors = error.normalized_messages()
            else:
                errors = error.errors or {"": [error.detail]}
    return render_template(
        "programmes/settings.html",
        programme=programme,
        errors=errors,
        message=message,
        sent=sent,
        deadline=(programme.settings or {}).get("request_deadline_hours") or 72,
    )


@bp.route("/programmes/<int:programme_id>/participants", methods=["GET", "POST"])
@coordinator_required
def participants_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    if request.method == "POST":
        data = body()
        person = service.get_participant(programme, form_id(data.pop("participant_id", None)))
        service.set_participant(
            current_context(), programme, person, _participant_in.load(data, partial=True)
        )
    args = schemas.ParticipantListArgs().load(request.args)
    rows, total = service.participants_page(
        programme, role=args["role"], search=args["q"], page=args["page"], per_page=args["per_page"]
    )
    return render_template(
        "programmes/participants.html",
        programme=programme,
        rows=rows,
        lms_says={p.id: service.lms_disagreement(p) for p, _u in rows},
        total=total,
        args=args,
        pages=max(1, -(-total // args["per_page"])),
    )
