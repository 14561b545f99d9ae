"""The attention list's sources: each feature registers, from its ``init_app``, what in a programme
needs a person (pairs at risk, open support requests, failed roster syncs...) and what a coordinator
may do about it.

A source is ``items(programme, now) -> list[Item]`` (cheap queries, open items only) and optionally
``act(ctx, programme, key, action_name, form) -> message``, which the attention page calls inside one
transaction when a coordinator presses one of an item's actions (``Action`` without ``url``). ``act``
raises domain errors (:mod:`lti_tool.errors`) for refusals; the page records who acted. Labels, titles
and reasons are built with gettext when the items are built, so they are in the viewer's language
(the daily digest builds them again in each coordinator's). ``items`` also runs in that digest job,
outside any person's request: read nothing from the session; prefer plain paths for links.
Registering a name again replaces the source (idempotent: many apps per process in the tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from lti_tool.cache import cache
from lti_tool.db import db, utcnow, with_transaction
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.programmes.models import Programme


@dataclass(frozen=True)
class Action:
    name: str  # "retry", "end", "rematch", "message", "reassign", "close", "answer"...
    label: str  # already in the viewer's language (use gettext when building items)
    destructive: bool = False  # rendered as a danger button with a confirmation
    url: str | None = None  # when set: a link that opens a page (GET), no handler call


@dataclass(frozen=True)
class Item:
    source: str  # the registered source name
    key: str  # stable within the source, e.g. "match:12" (no "/": it is a segment of the action's URL)
    title: str  # viewer's language
    reason: str  # why it needs a person, in words
    since: datetime  # UTC, aware
    severity: int = 1  # 0 info, 1 needs attention, 2 urgent
    actions: tuple[Action, ...] = ()
    link: str | None = None  # a Ritmo path to the thing itself
    match_id: int | None = None


ItemsFn = Callable[[Programme, datetime], list[Item]]
ActFn = Callable[[LaunchContext, Programme, str, str, Mapping[str, str]], str]


@dataclass(frozen=True)
class Source:
    name: str
    items: ItemsFn
    act: ActFn | None
    label: Any  # a lazy string: what the page calls this source


_sources: dict[str, Source] = {}
log = logging.getLogger(__name__)


def register_source(name: str, items: ItemsFn, act: ActFn | None, *, label: Any) -> None:
    """Add (or replace) the attention source ``name``.

    :param label: what coordinators read for the source (a lazy string).
    """
    _sources[name] = Source(name, items, act, label)


def sources() -> list[Source]:
    """Every registered source, in registration order."""
    return list(_sources.values())


def source(name: str) -> Source | None:
    return _sources.get(name)


def unregister_source(name: str) -> None:
    """Remove a source (tests register throw-away sources)."""
    _sources.pop(name, None)


@dataclass
class Gathered:
    """What the sources said: their open items, most urgent and oldest first, and the labels of
    the sources that could not be read."""

    items: list[Item] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def gather(programme: Programme, now: datetime | None = None) -> Gathered:
    """Every source's open items for ``programme``, sorted by severity (urgent first), then age.

    A source that fails (a query error, a bug) costs its own items only: it is logged, its work is
    rolled back to a savepoint, and its label is listed in ``failed``.
    """
    now = now or utcnow()
    out = Gathered()
    with_transaction()  # a page that began without one (the launch's home) needs one for savepoints
    for source in sources():
        try:
            with db.session.begin_nested():
                found = list(source.items(programme, now))
        except Exception:  # one broken source must not hide the others
            log.exception("attention source %r failed for programme %s", source.name, programme.id)
            out.failed.append(str(source.label))
            continue
        out.items.extend(found)
    out.items.sort(key=lambda item: (-item.severity, item.since, item.source, item.key))
    return out


def open_count(programme: Programme, now: datetime | None = None) -> int:
    """How many items wait (the badge beside the programme home's link to the list).

    Every coordinator's launch shows the badge, and asking every source costs tens of milliseconds
    in a large programme (``bench/profile_launch.py``), so the count is kept in the shared cache for
    ``ATTENTION_COUNT_SECONDS``; the list itself is always asked afresh and refreshes the count, and
    acting on an item forgets it.
    """
    if now is None:
        kept = kept_count(programme.id)
        if kept is not None:
            return kept
    count = len(gather(programme, now).items)
    keep_count(programme.id, count)
    return count


def kept_count(programme_id: int) -> int | None:
    """The count :func:`open_count` keeps, if it is still kept (the home needs no programme row then)."""
    kept = cache().get(_count_key(programme_id))
    return int(kept["count"]) if kept is not None else None


def keep_count(programme_id: int, count: int) -> None:
    """Remember how many items the list has just shown (see :func:`open_count`)."""
    seconds = int(current_app.config["ATTENTION_COUNT_SECONDS"])
    if seconds > 0:
        cache().set(_count_key(programme_id), {"count": count}, seconds)


def forget_count(programme_id: int) -> None:
    cache().delete(_count_key(programme_id))


def _count_key(programme_id: int) -> str:
    return f"attention-count:{programme_id}"
