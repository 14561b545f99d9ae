"""The programme's help pages: questions and answers in English and Italian, kept by coordinators.

A reader sees each entry in their language, or in the other one when it was written in that one only.
Answers are Markdown, rendered and sanitised like posts when saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from lti_tool import text as usertext
from lti_tool.db import db
from lti_tool.errors import Forbidden, InvalidInput, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations.cleaning import clean_body
from lti_tool.mentoring.matching import access
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.support.models import ANSWER_MAX, QUESTION_MAX, FaqEntry

LANGUAGES = ("en", "it")


@dataclass(frozen=True)
class ShownEntry:
    """An entry as one reader sees it."""

    id: int
    question: str
    answer_html: str
    language: str  # the language it is shown in (the reader's, or the fallback)


def entries(programme: Programme) -> list[FaqEntry]:
    return list(
        db.session.execute(
            sa.select(FaqEntry)
            .where(FaqEntry.programme_id == programme.id)
            .order_by(FaqEntry.position, FaqEntry.id)
        ).scalars()
    )


def shown(programme: Programme, language: str | None = None) -> list[ShownEntry]:
    """The programme's entries in ``language`` (default: the viewer's), falling back to the other."""
    wanted = language or str(get_locale() or "en").split("_")[0]
    order = (wanted, *[lang for lang in LANGUAGES if lang != wanted])
    out = []
    for entry in entries(programme):
        for lang in order:
            question = getattr(entry, f"question_{lang}", "")
            if question:
                out.append(ShownEntry(entry.id, question, getattr(entry, f"answer_{lang}_html"), lang))
                break
    return out


def create(ctx: LaunchContext, data: dict[str, Any]) -> FaqEntry:
    programme = _programme_for_editing(ctx)
    last = db.session.execute(
        sa.select(sa.func.max(FaqEntry.position)).where(FaqEntry.programme_id == programme.id)
    ).scalar()
    entry = FaqEntry(programme_id=programme.id, position=(last or 0) + 1)
    _fill(entry, data)
    db.session.add(entry)
    db.session.commit()
    return entry


def update(ctx: LaunchContext, entry_id: int, data: dict[str, Any]) -> FaqEntry:
    entry = _entry(ctx, entry_id)
    _fill(entry, {**_current(entry), **data})
    db.session.commit()
    return entry


def delete(ctx: LaunchContext, entry_id: int) -> None:
    db.session.delete(_entry(ctx, entry_id))
    db.session.commit()


def move(ctx: LaunchContext, entry_id: int, step: int) -> list[FaqEntry]:
    """Move an entry up (-1) or down (+1) the page."""
    entry = _entry(ctx, entry_id)
    ordered = entries(db.session.get_one(Programme, entry.programme_id))
    index = ordered.index(entry)
    target = min(max(index + step, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    return _number(ordered)


def reorder(ctx: LaunchContext, entry_ids: list[int]) -> list[FaqEntry]:
    """Put the entries in the given order; the list must name each entry once."""
    programme = _programme_for_editing(ctx)
    current = {e.id: e for e in entries(programme)}
    if sorted(entry_ids) != sorted(current):
        raise InvalidInput(errors={"order": [_("List every question of the page once, in the new order.")]})
    return _number([current[i] for i in entry_ids])


def _number(ordered: list[FaqEntry]) -> list[FaqEntry]:
    for position, entry in enumerate(ordered, start=1):
        entry.position = position
    db.session.commit()
    return ordered


def _current(entry: FaqEntry) -> dict[str, Any]:
    return {
        f"{field}_{lang}": getattr(entry, f"{field}_{lang}")
        for field in ("question", "answer")
        for lang in LANGUAGES
    }


def _fill(entry: FaqEntry, data: dict[str, Any]) -> None:
    """Each language is a question with its answer, or blank; at least one language is written.
    Everything is checked before the entry changes, so a refused edit leaves it as it was."""
    values: dict[str, str] = {}
    for lang in LANGUAGES:
        values.update(_language(lang, data))
    if not any(values[f"question_{lang}"] for lang in LANGUAGES):
        raise InvalidInput(
            errors={"question_en": [_("Write the question and its answer in at least one language.")]}
        )
    for name, value in values.items():
        setattr(entry, name, value)


def _language(lang: str, data: dict[str, Any]) -> dict[str, str]:
    question = " ".join(str(data.get(f"question_{lang}") or "").split())
    answer = str(data.get(f"answer_{lang}") or "").strip()
    if not question and not answer:
        return {f"question_{lang}": "", f"answer_{lang}": "", f"answer_{lang}_html": ""}
    if not question:
        raise InvalidInput(errors={f"question_{lang}": [_("Write the question that goes with this answer.")]})
    if len(question) > QUESTION_MAX:
        raise InvalidInput(
            errors={
                f"question_{lang}": [_("Keep the question under %(limit)d characters.", limit=QUESTION_MAX)]
            }
        )
    answer = clean_body(answer, ANSWER_MAX, f"answer_{lang}")
    return {
        f"question_{lang}": question,
        f"answer_{lang}": answer,
        f"answer_{lang}_html": usertext.render_markdown(answer),
    }


def _programme_for_editing(ctx: LaunchContext) -> Programme:
    if not ctx.is_coordinator:
        raise Forbidden(_("Only the programme's coordinators edit the help pages."))
    return access.current_programme(ctx)


def _entry(ctx: LaunchContext, entry_id: int) -> FaqEntry:
    programme = _programme_for_editing(ctx)
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None or entry.programme_id != programme.id:
        raise NotFound(_("This question is not on your programme's help page."))
    return entry
