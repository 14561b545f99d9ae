"""Questionnaire builder (coordinators) and profile form (participants): API and pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool import timezones, translated
from lti_tool.api.spec import document
from lti_tool.db import db
from lti_tool.errors import InvalidInput
from lti_tool.identity.session import coordinator_required, current_context, login_required, session_url
from lti_tool.mentoring.matching import criteria
from lti_tool.mentoring.profiles import schemas, service
from lti_tool.mentoring.profiles.models import QuestionKind
from lti_tool.mentoring.programmes import service as programmes
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.web import body, form_id

bp = Blueprint("profiles", __name__)
_question_in = schemas.ProfileQuestionIn()
_question_out = schemas.ProfileQuestionOut()


def _programme(programme_id: int) -> Programme:
    return programmes.get_programme(current_context(), programme_id)


def _status(status: service.ProfileStatus) -> dict[str, Any]:
    return {
        "complete": status.complete,
        "answered": status.answered,
        "total": status.total,
        "missing": status.missing_messages(),
    }


@bp.get("/api/programmes/<int:programme_id>/questions")
@document(
    "List the questionnaire's questions",
    description=(
        "Coordinators get every question; a participant gets those asked of their role. With the "
        "matching rules in words."
    ),
    tags=("profiles",),
    responses={200: schemas.ProfileQuestionsOut},
)
@login_required
def list_questions(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    ctx = current_context()
    role = None if ctx.is_coordinator else programmes.require_participant(ctx, programme).role
    items = service.questions(programme.id, role)
    return schemas.ProfileQuestionsOut().dump(
        {"items": items, "rules": criteria.rules_in_words(service.questions(programme.id))}
    )


@bp.post("/api/programmes/<int:programme_id>/questions")
@document(
    "Add a question to the questionnaire",
    description="Coordinators only. The question goes last; 409 when the questionnaire is full.",
    tags=("profiles",),
    body=schemas.ProfileQuestionIn,
    responses={201: schemas.ProfileQuestionOut},
    errors=(409,),
)
@coordinator_required
def add_question(programme_id: int) -> tuple[dict[str, Any], int]:
    data = _question_in.load(body())
    question = service.add_question(_programme(programme_id), data)
    return _question_out.dump(question), 201


@bp.patch("/api/programmes/<int:programme_id>/questions/<int:question_id>")
@document(
    "Change a question",
    description=("Coordinators only. Its kind never changes, and options someone chose in an answer stay."),
    tags=("profiles",),
    body=schemas.ProfileQuestionUpdateIn,
    responses={200: schemas.ProfileQuestionOut},
)
@coordinator_required
def update_question(programme_id: int, question_id: int) -> dict[str, Any]:
    data = schemas.ProfileQuestionUpdateIn().load(body(), partial=True)
    question = service.update_question(service.get_question(_programme(programme_id), question_id), data)
    return _question_out.dump(question)


@bp.delete("/api/programmes/<int:programme_id>/questions/<int:question_id>")
@document(
    "Remove a question",
    description="Coordinators only. The answers to it go with it.",
    tags=("profiles",),
    responses={204: None},
)
@coordinator_required
def delete_question(programme_id: int, question_id: int) -> tuple[str, int]:
    service.delete_question(service.get_question(_programme(programme_id), question_id))
    return "", 204


@bp.get("/api/programmes/<int:programme_id>/profile")
@document(
    "Read my profile",
    description="A participant: their answers to the questions asked of their role, and what is missing.",
    tags=("profiles",),
    responses={200: schemas.ProfileOut},
)
@login_required
def my_profile(programme_id: int) -> dict[str, Any]:
    programme = _programme(programme_id)
    me = programmes.require_participant(current_context(), programme)
    answers = service.answers_of(me.id)
    asked = service.questions(programme.id, me.role)
    return schemas.ProfileOut().dump(
        {
            "answers": {q.key: answers[q.id] for q in asked if q.id in answers},
            "status": _status(service.status(me, answers, asked)),
            "rules": criteria.rules_in_words(service.questions(programme.id)),
        }
    )


@bp.put("/api/programmes/<int:programme_id>/profile")
@document(
    "Save my answers",
    description=(
        "A participant. Answers not sent stay as they are; a profile may be saved incomplete "
        "(the status says what is missing)."
    ),
    tags=("profiles",),
    body=schemas.ProfileAnswersIn,
    responses={200: schemas.ProfileSavedOut},
)
@login_required
def save_profile(programme_id: int) -> dict[str, Any]:
    data = schemas.ProfileAnswersIn().load(body())
    me = programmes.require_participant(current_context(), _programme(programme_id))
    status = service.save_answers(me, data["answers"])
    return schemas.ProfileSavedOut().dump({"status": _status(status)})


@bp.post("/api/programmes/<int:programme_id>/profile/submit")
@document(
    "Check that my profile is complete",
    description="A participant: 422 naming every required answer still missing.",
    tags=("profiles",),
    responses={200: schemas.ProfileSavedOut},
)
@login_required
def submit_profile(programme_id: int) -> dict[str, Any]:
    me = programmes.require_participant(current_context(), _programme(programme_id))
    return schemas.ProfileSavedOut().dump({"status": _status(service.require_complete(me))})


# -- pages ---------------------------------------------------------------------------------------


@bp.route("/programmes/<int:programme_id>/questionnaire", methods=["GET", "POST"])
@coordinator_required
def builder_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    errors: dict[str, Any] = {}
    message = None
    sent: dict[str, Any] = {}
    if request.method == "POST":
        data = body()
        try:
            if data.get("delete"):
                service.delete_question(service.get_question(programme, form_id(data["delete"])))
                message = _("Question removed.")
            else:
                service.add_question(programme, _question_in.load(_question_form(data)))
                message = _("Question added.")
        except InvalidInput as error:
            db.session.rollback()
            errors = error.errors or {"": [error.detail]}
            sent = {} if data.get("delete") else data
        except ValidationError as error:
            db.session.rollback()
            messages = error.normalized_messages()
            errors = messages if isinstance(messages, dict) else {"": messages}
            sent = data  # the new question again, as typed
    return render_template(
        "profiles/builder.html",
        sent=sent,
        sent_texts={
            lang: {name: sent.get(f"{name}_{lang}", "") for name in ("label", "help")}
            for lang in translated.languages()
        },
        programme=programme,
        questions=service.questions(programme.id),
        kinds=list(QuestionKind),
        errors=errors,
        message=message,
        rules=criteria.rules_in_words(service.questions(programme.id)),
        languages=translated.languages(),
    )


def _question_form(data: dict[str, Any], *, editing: bool = False) -> dict[str, Any]:
    """A question from the builder's fields: options one per line, the words per language."""
    texts = translated.from_fields(data, ("label", "help")) or {}
    out = {k: v for k, v in data.items() if k in _question_in.fields and k not in ("options", "texts")}
    out["options"] = [o.strip() for o in data.get("options_text", "").splitlines() if o.strip()]
    out["required"] = data.get("required") == "on"
    out["texts"] = texts
    out["label"] = translated.single(texts, "label") or data.get("label", "")
    out["help"] = translated.single(texts, "help")
    if data.get("constraint") in (None, "", "none"):
        out["constraint"] = None
    if data.get("limit") in (None, ""):
        out["limit"] = None
    if editing:
        out.pop("kind", None)
        if not out["label"]:
            del out["label"]  # the service says what is missing, in words
    return out


@bp.route("/programmes/<int:programme_id>/questionnaire/<int:question_id>", methods=["GET", "POST"])
@coordinator_required
def edit_question_page(programme_id: int, question_id: int) -> Any:
    """Edit a question's words (in each language), options and whether it is required."""
    programme = _programme(programme_id)
    question = service.get_question(programme, question_id)
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = schemas.ProfileQuestionUpdateIn().load(_question_form(body(), editing=True), partial=True)
            service.update_question(question, data)
            return redirect(session_url(".builder_page", programme_id=programme.id))
        except InvalidInput as error:
            db.session.rollback()
            errors, status = error.errors or {"": [error.detail]}, 422
        except ValidationError as error:
            db.session.rollback()
            messages = error.normalized_messages()
            errors, status = (messages if isinstance(messages, dict) else {"": messages}), 422
    page = render_template(
        "profiles/edit_question.html",
        programme=programme,
        question=question,
        errors=errors,
        in_use=sorted(service.options_in_use(question)),
        languages=translated.languages(),
    )
    return page, status


def _form_answers(asked: list[Any]) -> dict[str, Any]:
    """Answers from the profile form: lists for multi-value kinds, the grid as "day-hour" values."""
    out: dict[str, Any] = {}
    for q in asked:
        if q.kind in service.LIST_KINDS:
            values = [v for v in request.form.getlist(q.key) if v]
            if q.kind is QuestionKind.LANGUAGES and len(values) == 1 and not q.options:
                values = [v.strip() for v in values[0].split(",") if v.strip()]
            out[q.key] = values
        else:
            out[q.key] = request.form.get(q.key, "")
    return out


def _as_stored(asked: list[Any], sent: dict[str, Any]) -> dict[int, Any]:
    """Refused answers in the shape stored answers have, by question id, for the form to show."""
    out: dict[int, Any] = {}
    for q in asked:
        value = sent.get(q.key)
        if q.kind is QuestionKind.SCALE:
            value = int(value) if isinstance(value, str) and value.isdigit() else None
        elif q.kind is QuestionKind.AVAILABILITY:
            value = [[int(n) for n in slot.split("-")] for slot in value or [] if _slot(slot)]
        out[q.id] = value
    return out


def _slot(text: str) -> bool:
    day, _sep, hour = text.partition("-")
    return day.isdigit() and hour.isdigit()


@bp.route("/programmes/<int:programme_id>/profile", methods=["GET", "POST"])
@login_required
def profile_page(programme_id: int) -> str:
    programme = _programme(programme_id)
    me = programmes.require_participant(current_context(), programme)
    asked = service.questions(programme.id, me.role)
    errors: dict[str, Any] = {}
    saved = False
    typed: dict[int, Any] = {}
    if request.method == "POST":
        sent = _form_answers(asked)
        try:
            service.save_answers(me, sent)
            saved = True
        except InvalidInput as error:
            db.session.rollback()
            errors = error.errors or {}
            typed = _as_stored(asked, sent)  # the form again as typed, not as last saved
    answers = service.answers_of(me.id) | typed
    status = service.status(me, answers, asked)
    return render_template(
        "profiles/profile.html",
        programme=programme,
        me=me,
        questions=asked,
        answers=answers,
        status=status,
        errors=errors,
        saved=saved,
        timezones=timezones.offered(),
        rules=criteria.rules_in_words(service.questions(programme.id)),
        max_text=service.MAX_TEXT,
    )
