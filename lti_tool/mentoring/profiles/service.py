"""Questionnaire rules: building the programme's questions, validating and keeping answers.

Answers are kept as they come (a half-filled profile is saved); whether a profile is *complete*
is a separate question asked before matching, answered with the list of what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import timezones, translated
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, InvalidInput, NotFound
from lti_tool.mentoring.profiles.models import Answer, Audience, Constraint, Question, QuestionKind
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, Programme

MAX_QUESTIONS = 60
MAX_OPTIONS = 500
MAX_TEXT = 4000
MAX_WEIGHT = 100.0
SCALE_MIN, SCALE_MAX = 1, 5
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

#: Kinds whose answers are picked from ``Question.options``.
OPTION_KINDS = frozenset(
    {
        QuestionKind.TAGS,
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.MULTI_CHOICE,
        QuestionKind.LEVEL,
        QuestionKind.DEPARTMENT,
    }
)
LIST_KINDS = frozenset(
    {QuestionKind.TAGS, QuestionKind.MULTI_CHOICE, QuestionKind.LANGUAGES, QuestionKind.AVAILABILITY}
)
#: Which hard constraints make sense for which kind.
ALLOWED_CONSTRAINTS: dict[QuestionKind, frozenset[Constraint]] = {
    QuestionKind.TAGS: frozenset({Constraint.MUST_SHARE}),
    QuestionKind.MULTI_CHOICE: frozenset({Constraint.MUST_SHARE, Constraint.MUST_DIFFER}),
    QuestionKind.LANGUAGES: frozenset({Constraint.MUST_SHARE}),
    QuestionKind.SINGLE_CHOICE: frozenset({Constraint.MUST_SHARE, Constraint.MUST_DIFFER}),
    QuestionKind.DEPARTMENT: frozenset({Constraint.MUST_SHARE, Constraint.MUST_DIFFER}),
    QuestionKind.AVAILABILITY: frozenset({Constraint.MUST_SHARE}),
    QuestionKind.TIMEZONE: frozenset({Constraint.AT_MOST}),
    QuestionKind.LEVEL: frozenset({Constraint.AT_MOST}),
    QuestionKind.SCALE: frozenset({Constraint.AT_MOST}),
    QuestionKind.FREE_TEXT: frozenset(),
}


# -- the questionnaire ---------------------------------------------------------------------------


def questions(programme_id: int, role: ParticipantRole | None = None) -> list[Question]:
    """The programme's questions in order; with ``role``, only those that person answers."""
    query = sa.select(Question).where(Question.programme_id == programme_id)
    if role is ParticipantRole.MENTOR:
        query = query.where(Question.audience.in_([Audience.EVERYONE, Audience.MENTORS]))
    elif role is ParticipantRole.MENTEE:
        query = query.where(Question.audience.in_([Audience.EVERYONE, Audience.MENTEES]))
    return list(db.session.execute(query.order_by(Question.position, Question.id)).scalars())


def get_question(programme: Programme, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.programme_id != programme.id:
        raise NotFound(_("This question does not exist in the programme."))
    return question


def _slug(label: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return ("q_" + words if not words[:1].isalpha() else words)[:48] or "question"


def _check_definition(data: dict[str, Any]) -> None:
    """Reject a question definition that could not be answered or matched on, naming the field."""
    errors: dict[str, list[str]] = {}
    kind: QuestionKind = data["kind"]
    options: list[str] = data.get("options") or []
    if kind in OPTION_KINDS:
        minimum = 1 if kind is QuestionKind.TAGS else 2
        if len(options) < minimum:
            errors["options"] = [_("Give at least %(n)d options for this kind of question.", n=minimum)]
    if len(options) > MAX_OPTIONS:
        errors["options"] = [_("A question can have at most %(n)d options.", n=MAX_OPTIONS)]
    if len({o.casefold() for o in options}) != len(options):
        errors["options"] = [_("Each option must appear once; remove the duplicates.")]
    constraint: Constraint | None = data.get("constraint")
    if constraint is not None and constraint not in ALLOWED_CONSTRAINTS[kind]:
        allowed = ", ".join(sorted(c.label for c in ALLOWED_CONSTRAINTS[kind])) or _("none")
        errors["constraint"] = [_("This kind of question allows these constraints: %(a)s.", a=allowed)]
    if constraint is Constraint.AT_MOST and data.get("limit") is None:
        errors["limit"] = [_("Say how far apart a pair may be at most.")]
    if kind is QuestionKind.FREE_TEXT and (data.get("weight") or 0) > 0:
        errors["weight"] = [_("Free-text answers cannot be compared; set the weight to 0.")]
    matching = (data.get("weight") or 0) > 0 or constraint is not None
    if matching and data.get("audience", Audience.EVERYONE) is not Audience.EVERYONE:
        errors["audience"] = [_("A question used for matching must be asked to mentors and mentees.")]
    if errors:
        raise InvalidInput(_("The question cannot be saved; correct the fields marked."), errors=errors)


def add_question(programme: Programme, data: dict[str, Any]) -> Question:
    """Add a question at the end of the questionnaire (``data`` as loaded by
    ``schemas.ProfileQuestionIn``)."""
    _check_definition(data)
    existing = questions(programme.id)
    if len(existing) >= MAX_QUESTIONS:
        raise Conflict(_("A questionnaire holds at most %(n)d questions; remove one first.", n=MAX_QUESTIONS))
    key = data.get("key") or _slug(data["label"])
    taken = {q.key for q in existing}
    base, n = key, 2
    while key in taken and not data.get("key"):
        key, n = f"{base[:60]}_{n}", n + 1
    if key in taken:
        raise InvalidInput(errors={"key": [_("Another question already uses this key; choose another.")]})
    texts = translated.merged({}, data.get("texts"), {"label": data["label"], "help": data.get("help", "")})
    question = Question(
        programme_id=programme.id,
        key=key,
        position=(max((q.position for q in existing), default=0) + 1),
        kind=data["kind"],
        label=translated.single(texts, "label") or data["label"],
        help=translated.single(texts, "help"),
        texts=texts,
        audience=data.get("audience", Audience.EVERYONE),
        required=data.get("required", False),
        options=data.get("options") or [],
        weight=data.get("weight", 0.0),
        constraint=data.get("constraint"),
        limit=data.get("limit"),
    )
    db.session.add(question)
    db.session.flush()
    db.session.commit()
    return question


def options_in_use(question: Question) -> set[str]:
    """The options someone has chosen in an answer to ``question``."""
    used: set[str] = set()
    for value in db.session.execute(
        sa.select(Answer.value).where(Answer.question_id == question.id)
    ).scalars():
        used.update([value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)])
    return used


def update_question(question: Question, data: dict[str, Any]) -> Question:
    """Change a question. Its kind never changes, and an option someone chose stays (renaming one
    would change what they answered): add options freely, remove only those nobody chose."""
    merged = {
        "kind": question.kind,
        "label": question.label,
        "help": question.help,
        "audience": question.audience,
        "required": question.required,
        "options": question.options,
        "weight": question.weight,
        "constraint": question.constraint,
        "limit": question.limit,
    }
    if "kind" in data and data["kind"] is not question.kind:
        raise InvalidInput(
            errors={"kind": [_("The kind of a question cannot change; add a new question instead.")]}
        )
    merged.update({k: v for k, v in data.items() if k in merged})
    _check_definition(merged)
    if question.kind in OPTION_KINDS or question.kind is QuestionKind.LANGUAGES:
        kept: list[str] = data.get("options", question.options) or []
        dropped = sorted(options_in_use(question) - set(kept))
        if dropped and (question.options or question.kind is not QuestionKind.LANGUAGES):
            raise InvalidInput(
                errors={
                    "options": [
                        _(
                            "These options are chosen in people's answers and must stay: %(o)s.",
                            o=", ".join(dropped[:10]),
                        )
                    ]
                }
            )
    single: dict[str, str] = {k: data[k] for k in ("label", "help") if k in data}
    texts = translated.merged(question.texts, data.get("texts"), single)
    old_label = "" if data.get("texts") is not None else str(merged["label"])
    merged["label"] = translated.single(texts, "label") or old_label
    merged["help"] = translated.single(texts, "help")
    if not merged["label"]:
        raise InvalidInput(errors={"label": [_("Give the question a label.")]})
    question.texts = texts
    for name in ("label", "help", "audience", "required", "options", "weight", "constraint", "limit"):
        setattr(question, name, merged[name])
    if "position" in data:
        question.position = data["position"]
    db.session.commit()
    return question


def delete_question(question: Question) -> None:
    db.session.delete(question)
    db.session.commit()


# -- answers -------------------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    return nh3.clean(value, tags=set()).strip()


def normalise(question: Question, value: Any) -> Any:
    """The stored form of an answer, or ``None`` for "no answer"; raises ``ValueError`` with words."""
    if value is None or value == "" or value == []:
        return None
    kind = question.kind
    options = question.options or []
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.LEVEL, QuestionKind.DEPARTMENT):
        if not isinstance(value, str) or value not in options:
            raise ValueError(_("Choose one of the options offered."))
        return value
    if kind in (QuestionKind.TAGS, QuestionKind.MULTI_CHOICE):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ValueError(_("Choose from the options offered."))
        unknown = [v for v in items if v not in options]
        if unknown:
            raise ValueError(_("Not an option here: %(v)s.", v=", ".join(unknown[:5])))
        return [o for o in options if o in set(items)]  # programme order, no duplicates
    if kind is QuestionKind.LANGUAGES:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= 35 for v in items
        ):
            raise ValueError(_("List the languages you speak, one per entry."))
        if options:
            unknown = [v for v in items if v not in options]
            if unknown:
                raise ValueError(_("Not an option here: %(v)s.", v=", ".join(unknown[:5])))
        return sorted({v.strip() for v in items}, key=str.casefold)
    if kind is QuestionKind.TIMEZONE:
        if not isinstance(value, str) or not timezones.is_known(value):
            raise ValueError(_("Choose a time zone from the list, such as Europe/Rome."))
        return value
    if kind is QuestionKind.SCALE:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not SCALE_MIN <= value <= SCALE_MAX:
            raise ValueError(_("Answer with a whole number from 1 to 5."))
        return value
    if kind is QuestionKind.AVAILABILITY:
        return _availability(value)
    if not isinstance(value, str):
        raise ValueError(_("Answer with text."))
    text = _clean_text(value)
    if len(text) > MAX_TEXT:
        raise ValueError(_("Keep the answer under %(n)d characters.", n=MAX_TEXT))
    return text or None


def _availability(value: Any) -> list[list[int]] | None:
    """Weekly slots as sorted ``[day, hour]`` pairs (Monday = 0); "0-9" strings are accepted too."""
    if not isinstance(value, list):
        raise ValueError(_("Mark the hours of the week when you are free."))
    slots: set[tuple[int, int]] = set()
    for item in value:
        if isinstance(item, str) and "-" in item:
            item = item.split("-", 1)
        try:
            day, hour = (int(x) for x in item)
        except (TypeError, ValueError) as error:
            raise ValueError(_("Mark the hours of the week when you are free.")) from error
        if not (0 <= day <= 6 and 0 <= hour <= 23):
            raise ValueError(_("Days go from 0 (Monday) to 6 and hours from 0 to 23."))
        slots.add((day, hour))
    return [list(s) for s in sorted(slots)] or None


def answers_of(participant_id: int) -> dict[int, Any]:
    """Stored answers by question id."""
    rows = db.session.execute(
        sa.select(Answer.question_id, Answer.value).where(Answer.participant_id == participant_id)
    ).all()
    return {qid: value for qid, value in rows}


def answers_for(participant_ids: Sequence[int]) -> dict[int, dict[int, Any]]:
    """Stored answers of many participants: ``{participant_id: {question_id: value}}``."""
    out: dict[int, dict[int, Any]] = {pid: {} for pid in participant_ids}
    wanted = set(participant_ids)
    chunk = 5000
    ids = list(wanted)
    for lo in range(0, len(ids), chunk):
        rows = db.session.execute(
            sa.select(Answer.participant_id, Answer.question_id, Answer.value).where(
                Answer.participant_id.in_(ids[lo : lo + chunk])
            )
        ).all()
        for pid, qid, value in rows:
            out[pid][qid] = value
    return out


def save_answers(participant: Participant, raw: dict[str, Any]) -> ProfileStatus:
    """Keep the given answers (by question key); an empty value removes an answer.

    All values are checked first: one bad value rejects the request with a message per question
    and nothing is written. Missing required answers do not block saving (see :func:`status`).
    """
    mine = {q.key: q for q in questions(participant.programme_id, participant.role)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, Any] = {}
    for key, value in raw.items():
        question = mine.get(key)
        if question is None:
            errors[key] = [_("There is no such question for you in this programme.")]
            continue
        try:
            cleaned[question.id] = normalise(question, value)
        except ValueError as error:
            errors[key] = [f"{question.shown_label}: {error}"]
    if errors:
        raise InvalidInput(
            _("Some answers are not valid; nothing was saved. Correct them and save again."), errors=errors
        )
    _write(participant.id, cleaned)
    result = status(participant)
    db.session.commit()
    return result


def _write(participant_id: int, cleaned: dict[int, Any]) -> None:
    existing = {
        a.question_id: a
        for a in db.session.execute(
            sa.select(Answer).where(Answer.participant_id == participant_id)
        ).scalars()
    }
    for qid, value in cleaned.items():
        answer = existing.get(qid)
        if value is None:
            if answer is not None:
                db.session.delete(answer)
        elif answer is None:
            db.session.add(Answer(participant_id=participant_id, question_id=qid, value=value))
        else:
            answer.value = value
            answer.updated_at = utcnow()
    db.session.flush()


@dataclass(frozen=True)
class ProfileStatus:
    """How far a participant's profile is: answered count and the required answers missing."""

    answered: int
    total: int
    missing: tuple[Question, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def missing_messages(self) -> dict[str, list[str]]:
        return {
            q.key: [_("Answer \u201c%(q)s\u201d: it is required.", q=q.shown_label)] for q in self.missing
        }


def status(
    participant: Participant, answers: dict[int, Any] | None = None, asked: Iterable[Question] | None = None
) -> ProfileStatus:
    asked = list(asked if asked is not None else questions(participant.programme_id, participant.role))
    answers = answers if answers is not None else answers_of(participant.id)
    missing = tuple(q for q in asked if q.required and answers.get(q.id) in (None, "", []))
    return ProfileStatus(sum(1 for q in asked if q.id in answers), len(asked), missing)


def require_complete(participant: Participant) -> ProfileStatus:
    """422 naming every missing required answer, or the (complete) status."""
    current = status(participant)
    if not current.complete:
        raise InvalidInput(
            _(
                "Your profile is missing required answers: %(q)s.",
                q=", ".join(q.label for q in current.missing),
            ),
            errors=current.missing_messages(),
        )
    return current


def missing_reasons(
    participants: Sequence[Participant],
    by_role: dict[ParticipantRole, list[Question]],
    answers: dict[int, dict[int, Any]],
) -> dict[int, str]:
    """``{participant_id: "profile incomplete: ..."}`` for participants missing required answers."""
    out: dict[int, str] = {}
    for p in participants:
        asked = by_role.get(p.role, [])
        gaps = [q.label for q in asked if q.required and answers.get(p.id, {}).get(q.id) in (None, "", [])]
        if gaps:
            out[p.id] = _("profile incomplete: %(q)s not answered", q=", ".join(gaps))
    return out
