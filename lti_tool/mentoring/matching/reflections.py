"""What members write about their match: the mid-point check-in and the closing reflection.

Each member keeps one of each per match and may rewrite it; the text is Markdown made safe the way
posts are (:func:`lti_tool.text.render_markdown`, rendered once when written). The pair and the
programme's coordinators read them; nobody else reaches them (:func:`.access.match_access`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.db import db, utcnow
from lti_tool.errors import Forbidden, InvalidInput
from lti_tool.mentoring.matching.access import MatchAccess
from lti_tool.mentoring.matching.models import (
    FEELING_LABELS,
    Feeling,
    MatchReflection,
    ReflectionKind,
)
from lti_tool.text import render_markdown

#: A few words, not an essay: the check-in and the reflection are short by design.
TEXT_MAX = 2_000


def clean_text(text: str, *, required: bool, field: str = "text") -> str:
    """The text as stored: newlines normalised, trimmed, within :data:`TEXT_MAX`."""
    text = (text or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise InvalidInput(errors={field: [_("Write a few words before sending.")]})
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            errors={
                field: [
                    _(
                        "Keep it under %(limit)d characters (this has %(count)d).",
                        limit=TEXT_MAX,
                        count=len(text),
                    )
                ]
            }
        )
    return text


def write(
    access: MatchAccess, kind: ReflectionKind, text: str, feeling: Feeling | None = None
) -> MatchReflection:
    """Write (or rewrite) the caller's own check-in or reflection; the caller commits."""
    if not access.is_member or access.me is None:
        raise Forbidden(_("Only the members of this match write about it."))
    text = clean_text(text, required=kind is ReflectionKind.CLOSING or feeling is None)
    row = db.session.execute(
        sa.select(MatchReflection).where(
            MatchReflection.match_id == access.match.id,
            MatchReflection.participant_id == access.me.id,
            MatchReflection.kind == kind,
        )
    ).scalar_one_or_none()
    if row is None:
        row = MatchReflection(match_id=access.match.id, participant_id=access.me.id, kind=kind)
        db.session.add(row)
    else:
        row.updated_at = utcnow()
    row.text, row.text_html, row.feeling = text, render_markdown(text), feeling
    db.session.flush()
    audit.record(f"match.{kind.value}_written", "match", access.match.id, actor_user_id=access.me.user_id)
    return row


def of_match(match_id: int, kind: ReflectionKind | None = None) -> list[MatchReflection]:
    """A match's check-ins and reflections, oldest first."""
    query = sa.select(MatchReflection).where(MatchReflection.match_id == match_id)
    if kind is not None:
        query = query.where(MatchReflection.kind == kind)
    return list(db.session.execute(query.order_by(MatchReflection.id)).scalars())


def dump(row: MatchReflection) -> dict[str, Any]:
    """One check-in or reflection as the API and the pages show it."""
    return {
        "id": row.id,
        "kind": row.kind.value,
        "participant_id": row.participant_id,
        "name": row.participant.user.display_name,
        "feeling": row.feeling.value if row.feeling else None,
        "feeling_label": str(FEELING_LABELS[row.feeling]) if row.feeling else None,
        "text": row.text,
        "text_html": row.text_html,
        "written_at": row.updated_at or row.created_at,
    }
