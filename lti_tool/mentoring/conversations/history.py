"""One timeline per match, gathered from every feature that has something to say about it.

Features register a *source*: ``fn(match_id, filters) -> iterable of HistoryEntry``. A source returns
its entries newest first, at most ``filters.limit`` of them, strictly before the cursor
``filters.before = (at, key)`` (use :func:`entry_key` for keys and :func:`keyset_clause` for the SQL),
and should apply ``q``/``since``/``until`` itself (in SQL). The timeline merges the sources and pages
with that keyset cursor, so page N costs the same as page 1. Entries are filtered once more after
merging (cursor, kinds, text), so a sloppy source costs speed, never correctness of the page.

Built in: the match's posts, chat and matching decisions (``AuditEvent`` rows on the match);
meetings register from their package's ``init_app``; a feature adding goals to the timeline would
write, beside its other modules::

    def goal_entries(match_id, filters):
        query = select(Goal).where(Goal.match_id == match_id)
        bound = history.keyset_clause(Goal.updated_at, Goal.id, filters, "goal")
        ...  # newest first, limit filters.limit
        return [history.HistoryEntry(at=g.updated_at, kind="goal", key=history.entry_key("goal", g.id),
                                     actor_user_id=..., title=g.title) for g in rows]

and register it from its ``init_app``: ``history.register_source("goals", goal_entries,
kinds=("goal",))``. Registering again under the same name replaces the source (idempotent).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.audit import AuditEvent
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations import spaces
from lti_tool.mentoring.conversations.models import HISTORY_KIND_LABELS, ChatMessage, Post, Thread
from lti_tool.mentoring.matching.decisions import decision_title

HISTORY_PAGE_SIZE = 50
HISTORY_PAGE_MAX = 200
EXPORT_BATCH = 500
SEARCH_MAX = 200
#: The id in an entry's key (:func:`entry_key`): ASCII digits that fit the database's integers.
_KEY_ID = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened. ``key`` is unique across sources and sorts within one timestamp."""

    at: datetime
    kind: str
    key: str
    actor_user_id: int | None
    title: str
    text: str = ""
    html: str | None = None  # already sanitised
    link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryFilters:
    q: str | None = None
    kinds: frozenset[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, str] | None = None
    limit: int = HISTORY_PAGE_SIZE
    # Who is reading: sources with entries only some people may see (support exchanges) check it;
    # None (no reader known) means such entries are left out.
    viewer_user_id: int | None = None


SourceFn = Callable[[int, HistoryFilters], Iterable[HistoryEntry]]


@dataclass(frozen=True)
class Source:
    name: str
    fn: SourceFn
    kinds: tuple[str, ...]


_sources: dict[str, Source] = {}
_kind_labels: dict[str, Any] = dict(HISTORY_KIND_LABELS)


def register_source(
    name: str, fn: SourceFn, *, kinds: Sequence[str], labels: Mapping[str, Any] | None = None
) -> None:
    """Add (or replace) a timeline source producing entries of ``kinds``.

    :param labels: what people read for each kind (lazy strings), when the kind is new.
    """
    _sources[name] = Source(name, fn, tuple(kinds))
    _kind_labels.update(labels or {})


def kind_label(kind: str) -> str:
    """What people read for an entry kind, in the current language (the kind itself if unlabelled)."""
    return str(_kind_labels.get(kind, kind))


def known_kinds() -> list[str]:
    return sorted({kind for source in _sources.values() for kind in source.kinds})


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def encode_cursor(entry: HistoryEntry) -> str:
    raw = f"{entry.at.isoformat()}|{entry.key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, key = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed.astimezone(UTC), key  # the calendar's first and last hours have no UTC time
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput(errors={"cursor": [_("Use the cursor of the previous page.")]}) from error


def timeline(
    ctx: LaunchContext, match_id: int, filters: HistoryFilters
) -> tuple[spaces.Space, list[HistoryEntry], str | None]:
    """A page of the match's history, newest first, with the cursor of the next page."""
    space = spaces.match_space(ctx, match_id)
    if filters.q and len(filters.q) > SEARCH_MAX:
        raise InvalidInput(errors={"q": [_("Search for at most %(limit)d characters.", limit=SEARCH_MAX)]})
    if filters.kinds:
        unknown = filters.kinds - set(known_kinds())
        if unknown:
            raise InvalidInput(
                errors={"kind": [_("Filter by one of: %(kinds)s.", kinds=", ".join(known_kinds()))]}
            )
    entries = collect(match_id, replace(filters, viewer_user_id=ctx.user_id))
    more = len(entries) > filters.limit
    page = entries[: filters.limit]
    return space, page, encode_cursor(page[-1]) if more and page else None


def collect(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    """Up to ``limit + 1`` entries from all sources, merged newest first, after the cursor."""
    wanted = HistoryFilters(
        q=filters.q,
        kinds=filters.kinds,
        since=filters.since,
        until=filters.until,
        before=filters.before,
        limit=filters.limit + 1,
        viewer_user_id=filters.viewer_user_id,
    )
    merged: list[HistoryEntry] = []
    needle = filters.q.lower() if filters.q else None
    for source in _sources.values():
        if filters.kinds and not set(source.kinds) & filters.kinds:
            continue
        for entry in source.fn(match_id, wanted):
            if filters.kinds and entry.kind not in filters.kinds:
                continue
            if filters.before is not None and (entry.at, entry.key) >= filters.before:
                continue
            if needle and needle not in f"{entry.title}\n{entry.text}".lower():
                continue  # a source that ignores ``q`` still gets filtered
            merged.append(entry)
    merged.sort(key=lambda e: (e.at, e.key), reverse=True)
    return merged[: filters.limit + 1]


def export(ctx: LaunchContext, match_id: int) -> dict[str, Any]:
    """The whole history of a match (members and coordinators), oldest entries last."""
    space = spaces.match_space(ctx, match_id)
    entries: list[HistoryEntry] = []
    before: tuple[datetime, str] | None = None
    while True:
        wanted = HistoryFilters(before=before, limit=EXPORT_BATCH, viewer_user_id=ctx.user_id)
        batch = collect(match_id, wanted)
        page = batch[:EXPORT_BATCH]
        entries.extend(page)
        if len(batch) <= EXPORT_BATCH or not page:
            break
        before = (page[-1].at, page[-1].key)
    people = spaces.users_by_id([e.actor_user_id for e in entries] + list(space.member_user_ids))
    return {"space": space, "entries": entries, "people": people, "exported_at": utcnow()}


# -- built-in sources ------------------------------------------------------------------------------


def entry_key(prefix: str, row_id: int) -> str:
    """The key of a row-backed entry; keys of one source sort like their ids."""
    return f"{prefix}:{row_id:012d}"


def keyset_clause(at_column: Any, id_column: Any, filters: HistoryFilters, prefix: str) -> Any | None:
    """SQL for "strictly before the cursor" for a source whose keys are ``entry_key(prefix, id)``.

    Entries at the cursor's very instant are ordered by key, across sources too, so ties at a page
    boundary are neither repeated nor skipped.
    """
    if filters.before is None:
        return None
    at, key = filters.before
    key_prefix, _sep, key_id = key.partition(":")
    if key_prefix == prefix and _KEY_ID.fullmatch(key_id):
        tie = sa.and_(at_column == at, id_column < int(key_id))
    elif prefix < key_prefix:
        tie = at_column == at
    else:
        tie = sa.false()
    return sa.or_(at_column < at, tie)


def _window(column: Any, filters: HistoryFilters, id_column: Any = None, prefix: str = "") -> list[Any]:
    clauses = []
    if filters.before is not None:
        bound = keyset_clause(column, id_column, filters, prefix) if id_column is not None else None
        clauses.append(bound if bound is not None else column <= filters.before[0])
    if filters.since is not None:
        clauses.append(column >= filters.since)
    if filters.until is not None:
        clauses.append(column < filters.until)
    return clauses


def _posts(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    query = (
        sa.select(Post, Thread.title)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.match_id == match_id, *_window(Post.created_at, filters, Post.id, "post"))
    )
    if filters.q:
        like = f"%{escape_like(filters.q)}%"
        query = query.where(sa.or_(Post.body.ilike(like, escape="\\"), Thread.title.ilike(like, escape="\\")))
    rows = db.session.execute(
        query.order_by(Post.created_at.desc(), Post.id.desc()).limit(filters.limit)
    ).all()
    return [
        HistoryEntry(
            at=post.created_at,
            kind="post",
            key=entry_key("post", post.id),
            actor_user_id=post.author_user_id,
            title=title,
            text=post.body,
            html=post.body_html or None,
            link=f"/threads/{post.thread_id}#post-{post.id}",
            data={
                "thread_id": post.thread_id,
                "post_id": post.id,
                "reply": post.parent_id is not None or None,
                "edited_at": post.edited_at.isoformat() if post.edited_at else None,
                "deleted": post.deleted_at is not None,
                "links": post.links,
            },
        )
        for post, title in rows
    ]


def _chat(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    query = sa.select(ChatMessage).where(
        ChatMessage.match_id == match_id, *_window(ChatMessage.created_at, filters, ChatMessage.id, "chat")
    )
    if filters.q:
        query = query.where(ChatMessage.body.ilike(f"%{escape_like(filters.q)}%", escape="\\"))
    rows = db.session.execute(
        query.order_by(ChatMessage.created_at.desc(), ChatMessage.id.desc()).limit(filters.limit)
    ).scalars()
    return [
        HistoryEntry(
            at=m.created_at,
            kind="chat",
            key=entry_key("chat", m.id),
            actor_user_id=m.author_user_id,
            title=_("Chat message"),
            text=m.body,
            html=m.body_html or None,
            data={"message_id": m.id, "deleted": m.deleted_at is not None},
        )
        for m in rows
    ]


def _decisions(match_id: int, filters: HistoryFilters) -> list[HistoryEntry]:
    query = sa.select(AuditEvent).where(
        AuditEvent.subject_type == "match",
        AuditEvent.subject_id == str(match_id),
        *_window(AuditEvent.at, filters, AuditEvent.id, "decision"),
    )
    if filters.q:
        query = query.where(AuditEvent.action.ilike(f"%{escape_like(filters.q)}%", escape="\\"))
    rows = db.session.execute(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(filters.limit)
    ).scalars()
    return [
        HistoryEntry(
            at=e.at,
            kind="decision",
            key=entry_key("decision", e.id),
            actor_user_id=e.actor_user_id,
            title=decision_title(e.action),
            text=str(e.detail.get("reason") or ""),
            data={"action": e.action, "detail": e.detail},
        )
        for e in rows
    ]


def register_own_sources() -> None:
    """The timeline's built-in sources: the match's posts, chat and matching decisions."""
    register_source("posts", _posts, kinds=("post",))
    register_source("chat", _chat, kinds=("chat",))
    register_source("decisions", _decisions, kinds=("decision",))
