"""The coordinator's schedule page of a survey: when it is sent, its window and reminder, and how
many were asked and answered on each kind of occasion. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.identity.session import coordinator_required, current_context
from lti_tool.mentoring.programmes.service import get_programme
from lti_tool.mentoring.surveys import invitations, schedules

bp = Blueprint("survey_schedules", __name__)


def field_names() -> dict[str, str]:
    """The form's fields as its labels say them, for the list of errors."""
    return {
        "baseline": _("Baseline"),
        "pulse_after_days": _("First pulse, days after the match starts"),
        "pulse_every_days": _("Then every (days; empty for one pulse only)"),
        "window_days": _("Response window (days)"),
        "remind_days_before": _("Remind this many days before the window closes"),
    }


@bp.route("/programmes/<int:programme_id>/surveys/<int:survey_id>/schedule", methods=["GET", "POST"])
@coordinator_required
def schedule_page(programme_id: int, survey_id: int) -> tuple[str, int]:
    ctx = current_context()
    programme = get_programme(ctx, programme_id)
    survey = schedules.survey_of(programme, survey_id)
    schedule = schedules.Schedule.of(survey)
    form: dict[str, Any] = schedule.as_form()
    errors: Any = {}
    message = None
    if request.method == "POST":
        form = schedules.schedule_from_form(request.form)
        try:
            schedule = schedules.save_schedule(ctx, programme, survey, form)
            form, message = schedule.as_form(), _("Schedule saved.")
        except ValidationError as error:
            named = field_names()
            errors = {named.get(k, k): v for k, v in error.normalized_messages().items()}
    page = render_template(
        "surveys/schedule.html",
        programme=programme,
        survey=survey,
        title=invitations.survey_title(survey),
        form=form,
        errors=errors,
        message=message,
        summary=invitations.summary(survey.id),
        choices=schedules.BASELINE_CHOICES,
    )
    return page, 422 if errors else 200
