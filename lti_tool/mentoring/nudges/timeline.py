"""What the match's history shows from nudges (and, from this feature, goals, milestone
completions and webinar attendance): one source per table, newest first, keyset-paged, searched
in SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from lti_tool.db import db
from lti_tool.mentoring.conversations import history
from lti_tool.mentoring.conversations.history import HistoryEntry, HistoryFilters
from lti_tool.mentoring.nudges.models import Nudge

KIND_LABELS: dict[str, LazyString] = {
    "nudge": _l("reminder"),
}


def _window(at: Any, row_id: Any, filters: HistoryFilters, prefix: str) -> list[Any]:
    clauses = []
    bound = history.keyset_clause(at, row_id, filters, prefix)
    if bound is not None:
        clauses.append(bound)
    if filters.since is not None:
        clauses.append(at >= filters.since)
    if filters.until is not None:
        clauses.append(at < filters.until)
    return clauses


def _like(filters: HistoryFilters) -> str:
    return f"%{history.escape_like(filters.q or '')}%"


def nudge_entries(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    query = sa.select(Nudge).where(
        Nudge.match_id == match_id, *_window(Nudge.sent_at, Nudge.id, filters, "nudge")
    )
    if filters.q:
        like = _like(filters)
        query = query.where(
            sa.or_(Nudge.subject.ilike(like, escape="\\"), Nudge.text.ilike(like, escape="\\"))
        )
    rows = db.session.execute(
        query.order_by(Nudge.sent_at.desc(), Nudge.id.desc()).limit(filters.limit)
    ).scalars()
    return [
        HistoryEntry(
            at=n.sent_at,
            kind="nudge",
            key=history.entry_key("nudge", n.id),
            actor_user_id=None,
            title=n.subject,
            text=n.text,
            link=n.action_link,
            data={"nudge_kind": n.kind, "to_user_id": n.user_id, "action": n.action_label},
        )
        for n in rows
    ]


SOURCES: tuple[tuple[str, history.SourceFn, tuple[str, ...]], ...] = (("nudges", nudge_entries, ("nudge",)),)
