"""A participant's survey pages and API: "My surveys", and answering one occasion (the page takes
``?invitation=<id>``; without it, the person's latest open invitation to that survey). Thin: parse
with a schema, call :mod:`.answers`, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from lti_tool.api.spec import document
from lti_tool.errors import InvalidInput
from lti_tool.identity.session import current_context, login_required
from lti_tool.mentoring.surveys import answers, builder, schemas
from lti_tool.mentoring.surveys.texts import local
from lti_tool.web import back_to

bp = Blueprint("surveys", __name__)

_response_in = schemas.SurveyResponseIn()


def _invitation_id() -> int | None:
    invitation: int | None = schemas.SurveyAnswerQuery().load(request.args)["invitation"]
    return invitation


@bp.get("/surveys/mine")
@login_required
def mine_page() -> str:
    return render_template(
        "surveys/mine.html", entries=answers.my_surveys(current_context()), saved=request.args.get("saved")
    )


@bp.route("/surveys/<int:survey_id>/answer", methods=["GET", "POST"])
@login_required
def answer_page(survey_id: int) -> Any:
    ctx = current_context()
    survey, invitation, _participant = answers.resolve(ctx, survey_id, _invitation_id())
    response = answers.response_of(invitation)
    given: dict[Any, Any] = answers.given(response)
    share_text = bool(response and response.share_text)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = _response_in.load(request.form)
        try:
            answers.submit_answers(ctx, invitation, data["answers"], share_text=data["share_text"])
            return back_to("surveys.mine_page", saved=survey.id)
        except InvalidInput as error:
            errors = error.errors or {"": [error.detail]}
            given = {int(k): v for k, v in data["answers"].items() if k.isdigit()}
            share_text = data["share_text"]
    page = render_template(
        "surveys/answer.html",
        survey=survey,
        invitation=invitation,
        items=builder.items_of(survey.id),
        given=given,
        share_text=share_text,
        answered=response is not None,
        is_open=answers.is_open(invitation),
        errors=errors,
    )
    return page, 422 if errors else 200


# --- JSON API --------------------------------------------------------------------------------------

_TAGS = ("surveys",)


@bp.get("/api/surveys/mine")
@document(
    "List my surveys",
    description="Anyone in a programme: the invitations sent to the caller, open or closed, and "
    "whether each is answered.",
    tags=_TAGS,
    responses={200: schemas.SurveyMineOut},
)
@login_required
def api_mine() -> dict[str, Any]:
    entries = [
        {
            "survey_id": e.survey.id,
            "invitation_id": e.invitation.id,
            "title": local(e.survey, "title"),
            "occasion": e.invitation.occasion,
            "closes_at": e.invitation.closes_at,
            "open": e.open,
            "answered": e.response is not None,
        }
        for e in answers.my_surveys(current_context())
    ]
    return schemas.SurveyMineOut().dump({"surveys": entries})


@bp.get("/api/surveys/<int:survey_id>/answer")
@document(
    "Read a survey to answer",
    description="The person invited: the survey's items and the caller's answers so far.",
    tags=_TAGS,
    query=schemas.SurveyAnswerQuery,
    responses={200: schemas.SurveyAnswerFormOut},
    errors=(409,),
)
@login_required
def api_answer(survey_id: int) -> dict[str, Any]:
    survey, invitation, _participant = answers.resolve(current_context(), survey_id, _invitation_id())
    response = answers.response_of(invitation)
    return schemas.SurveyAnswerFormOut().dump(
        {
            "survey_id": survey.id,
            "invitation_id": invitation.id,
            "title": local(survey, "title"),
            "anonymous": survey.anonymous,
            "open": answers.is_open(invitation),
            "closes_at": invitation.closes_at,
            "items": builder.items_of(survey.id),
            "answers": {str(k): v for k, v in answers.given(response).items()},
            "share_text": bool(response and response.share_text),
        }
    )


@bp.post("/api/surveys/<int:survey_id>/answer")
@document(
    "Answer a survey",
    description="The person invited, while the invitation is open: creates or changes the caller's "
    "answers (every answer is checked against its item).",
    tags=_TAGS,
    query=schemas.SurveyAnswerQuery,
    body=schemas.SurveyResponseIn,
    body_required=False,
    responses={200: schemas.SurveySavedOut},
    errors=(409,),
)
@login_required
def api_submit(survey_id: int) -> dict[str, Any]:
    ctx = current_context()
    _survey, invitation, _participant = answers.resolve(ctx, survey_id, _invitation_id())
    data = _response_in.load(request.get_json(silent=True) or {})
    response = answers.submit_answers(ctx, invitation, data["answers"], share_text=data["share_text"])
    return schemas.SurveySavedOut().dump({"response_id": response.id, "saved": _("Your answers are saved.")})
