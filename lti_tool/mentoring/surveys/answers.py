"""Answering: a participant's surveys, their answers checked against each item, kept per occasion
and editable while the window is open; ``survey.answered`` is emitted the first time.

Public for the other areas of surveys and for KPIs: :func:`submit_answers`, :func:`item_scores`.
A person answers through an invitation (one occasion, one window); a coordinator's "open now"
invites the survey's audience at once (occasion ``manual:<time>``), with the survey's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.matching.access import current_programme
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.mentoring.programmes.service import participant_for
from lti_tool.mentoring.surveys import builder, invitations
from lti_tool.mentoring.surveys.models import (
    ItemType,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyResponse,
)
from lti_tool.mentoring.surveys.schemas import plain

ANSWERED = "survey.answered"
MANUAL = "manual"
SHORT_MAX = 500
LONG_MAX = 5000
TEXT_TYPES = frozenset({ItemType.SHORT_TEXT, ItemType.LONG_TEXT})


@dataclass(frozen=True)
class Entry:
    """One line of "My surveys": an invitation, its survey, the answer given if any."""

    invitation: SurveyInvitation
    survey: Survey
    response: SurveyResponse | None
    open: bool


def is_open(invitation: SurveyInvitation, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return invitation.opens_at <= now < invitation.closes_at


def my_surveys(ctx: LaunchContext, now: datetime | None = None) -> list[Entry]:
    """The caller's invitations in this programme: open ones first (by deadline), then answered ones."""
    now = now or utcnow()
    programme = current_programme(ctx)
    rows = db.session.execute(
        sa.select(SurveyInvitation, Survey, SurveyResponse)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(
            Survey.programme_id == programme.id,
            Survey.archived_at.is_(None),
            SurveyInvitation.user_id == ctx.user_id,
            SurveyInvitation.opens_at <= now,
        )
        .order_by(SurveyInvitation.closes_at, SurveyInvitation.id)
    ).all()
    entries = [Entry(inv, survey, response, is_open(inv, now)) for inv, survey, response in rows]
    return [e for e in entries if e.open] + [e for e in entries if not e.open and e.response]


def resolve(
    ctx: LaunchContext, survey_id: int, invitation_id: int | None, now: datetime | None = None
) -> tuple[Survey, SurveyInvitation, Participant]:
    """The survey and the caller's own invitation to it (their latest open one when none is named);
    refuses other people's invitations and people outside the survey's audience."""
    now = now or utcnow()
    programme = current_programme(ctx)
    survey = builder.survey_in(programme.id, survey_id)
    participant = participant_for(programme.id, ctx.user_id)
    if participant is None or not invitations.in_audience(survey, participant):
        raise Forbidden(_("This survey is not for you."))
    if invitation_id is None:
        invitation = db.session.execute(
            sa.select(SurveyInvitation)
            .where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.user_id == ctx.user_id,
                SurveyInvitation.opens_at <= now,
            )
            .order_by(SurveyInvitation.closes_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        if invitation is None:
            raise NotFound(_("This survey is not open for you. Your surveys are listed on My surveys."))
    else:
        invitation = db.session.get(SurveyInvitation, invitation_id)
        if invitation is None or invitation.survey_id != survey.id:
            raise NotFound(_("This invitation does not exist."))
        if invitation.user_id != ctx.user_id:
            raise Forbidden(_("This invitation was sent to someone else."))
    if survey.archived_at is not None:
        raise Conflict(_("This survey has been withdrawn by the coordinators."))
    return survey, invitation, participant


def response_of(invitation: SurveyInvitation) -> SurveyResponse | None:
    return db.session.execute(
        sa.select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id)
    ).scalar_one_or_none()


def given(response: SurveyResponse | None) -> dict[int, Any]:
    """A response's answers as the form shows them: ``{item_id: value}`` (matrix: ``{row: value}``)."""
    if response is None:
        return {}
    out: dict[int, Any] = {}
    for answer in db.session.execute(
        sa.select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)
    ).scalars():
        value = _shown(answer)
        if answer.row_key is not None:
            out.setdefault(answer.item_id, {})[answer.row_key] = value
        else:
            out[answer.item_id] = value
    return out


def _shown(answer: SurveyAnswer) -> Any:
    if answer.value_choices is not None:
        return answer.value_choices
    if answer.value_text is not None:
        return answer.value_text
    return None if answer.value_num is None else int(answer.value_num)


def submit_answers(
    ctx: LaunchContext,
    invitation_or_survey: SurveyInvitation | Survey,
    answers: dict[Any, Any],
    *,
    share_text: bool = False,
    now: datetime | None = None,
) -> SurveyResponse:
    """Keep the caller's answers to one occasion: created, or replaced while the window is open.

    ``answers`` maps item ids (int or str) to values (see :class:`.schemas.ResponseIn`). Every
    answer is checked before anything is written; the first submission emits ``survey.answered``.
    """
    now = now or utcnow()
    target = invitation_or_survey
    survey_id = target.survey_id if isinstance(target, SurveyInvitation) else target.id
    invitation_id = target.id if isinstance(target, SurveyInvitation) else None
    survey, invitation, participant = resolve(ctx, survey_id, invitation_id, now)
    if not is_open(invitation, now):
        raise Conflict(
            _("This survey is closed: answers could be given or changed until its deadline.")
            if now >= invitation.closes_at
            else _("This survey is not open yet.")
        )
    rows = _checked(builder.items_of(survey.id), {str(k): v for k, v in answers.items()})
    response = response_of(invitation)
    first = response is None
    if response is None:
        response = SurveyResponse(
            survey_id=survey.id,
            invitation_id=invitation.id,
            occasion=invitation.occasion,
            user_id=ctx.user_id,
            participant_role=participant.role.value,
            match_id=invitation.match_id,
            submitted_at=now,
        )
        db.session.add(response)
        db.session.flush()
    else:
        db.session.execute(sa.delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id))
    response.share_text = share_text
    response.updated_at = now
    db.session.add_all(SurveyAnswer(response_id=response.id, **row) for row in rows)
    if first:
        emit(
            DomainEvent(
                ANSWERED,
                survey.programme_id,
                match_id=response.match_id,
                participant_id=participant.id,
                actor_user_id=ctx.user_id,
                data={"survey_id": survey.id, "occasion": response.occasion, "response_id": response.id},
            )
        )
    db.session.commit()
    return response


def _checked(items: list[SurveyItem], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer rows to write, or :class:`InvalidInput` naming every item that is wrong."""
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for item in items:
        try:
            rows += [{"item_id": item.id, **row} for row in _rows_for(item, answers.get(str(item.id)))]
        except ValueError as error:
            errors[f"item-{item.id}"] = [str(error)]
    if errors:
        raise InvalidInput(
            _("Some answers are missing or invalid; correct them and send again."), errors=errors
        )
    return rows


def _rows_for(item: SurveyItem, value: Any) -> list[dict[str, Any]]:
    """The rows one item's answer becomes; ``ValueError`` with the reason in words if it is wrong."""
    if value in (None, "", [], {}):
        if item.required:
            raise ValueError(_("Please answer this question."))
        return []
    kind = item.type
    if kind is ItemType.LIKERT:
        return [{"value_num": _number(value, 1, int(item.scale.get("points", 5)))}]
    if kind is ItemType.NPS:
        return [{"value_num": _number(value, 0, 10)}]
    if kind in (ItemType.SINGLE, ItemType.MULTIPLE):
        chosen = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else None
        allowed = [o["value"] for o in item.options]
        if chosen is None or any(c not in allowed for c in chosen) or len(set(chosen)) != len(chosen):
            raise ValueError(_("Choose among the options given."))
        if kind is ItemType.SINGLE and len(chosen) != 1:
            raise ValueError(_("Choose one option."))
        return [{"value_choices": sorted(chosen, key=allowed.index)}]
    if kind in TEXT_TYPES:
        text = plain(value if isinstance(value, str) else None)
        limit = SHORT_MAX if kind is ItemType.SHORT_TEXT else LONG_MAX
        if len(text) > limit:
            raise ValueError(_("Keep it under %(limit)d characters.", limit=limit))
        if not text:
            return _rows_for(item, None)
        return [{"value_text": text}]
    if not isinstance(value, dict):  # a matrix: one rating per row
        raise ValueError(_("Rate each row."))
    points = int(item.scale.get("points", 5))
    keys = [r["key"] for r in item.rows]
    if set(value) - set(keys):
        raise ValueError(_("Rate each row."))
    rated = {k: value.get(k) for k in keys if value.get(k) not in (None, "")}
    if item.required and len(rated) != len(keys):
        raise ValueError(_("Rate each row."))
    return [{"row_key": k, "value_num": _number(v, 1, points)} for k, v in rated.items()]


def _number(value: Any, low: int, high: int) -> float:
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ValueError(_("Choose a value from %(low)d to %(high)d.", low=low, high=high))
    return float(number)


def open_now(ctx: LaunchContext, survey_id: int, now: datetime | None = None) -> int:
    """Invite the survey's audience at once (a coordinator's "open now"); returns how many were."""
    now = now or utcnow()
    survey = builder.get_survey(ctx, survey_id)
    if survey.archived_at is not None:
        raise Conflict(_("Restore the survey before opening it."))
    if not builder.items_of(survey.id):
        raise InvalidInput(_("Add at least one question before opening the survey."))
    programme = current_programme(ctx)
    occasion = f"{MANUAL}:{now:%Y%m%d%H%M%S}"
    count = invitations.invite_many(programme, survey, invitations.audience(survey), occasion, now, now=now)
    db.session.commit()
    return count


def item_scores(survey_id: int, *, occasion_prefix: str | None = None) -> dict[int, dict[int, float]]:
    """``{response_id: {item_id: value}}`` of the survey's numeric answers (a matrix item scores
    the mean of its rows), for scoring and evaluation; no names, whatever the survey."""
    query = (
        sa.select(SurveyAnswer.response_id, SurveyAnswer.item_id, sa.func.avg(SurveyAnswer.value_num))
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey_id, SurveyAnswer.value_num.is_not(None))
        .group_by(SurveyAnswer.response_id, SurveyAnswer.item_id)
    )
    if occasion_prefix is not None:
        query = query.where(SurveyResponse.occasion.startswith(occasion_prefix, autoescape=True))
    out: dict[int, dict[int, float]] = {}
    for response_id, item_id, value in db.session.execute(query):
        out.setdefault(response_id, {})[item_id] = float(value)
    return out
