"""The attention list of one programme: every registered source's open items, the record of who
acted on them, and acting on an item (the source's handler and the record, in one transaction).
(the sources are asked through :func:`registry.gather`, which survives a broken one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention import registry
from lti_tool.mentoring.attention.models import LABEL_MAX, NOTE_MAX, TITLE_MAX, AttentionAction
from lti_tool.mentoring.attention.registry import Gathered, gather
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.safety.names import clean_name

#: How far back the list shows who acted, and how many records per item.
RECORDS_SHOWN_DAYS = 30
RECORDS_PER_ITEM = 3
#: Actions on items that have left the list, shown under "Recently handled".
HANDLED_SHOWN_DAYS = 7
HANDLED_SHOWN = 20


@dataclass(frozen=True)
class Record:
    """One action taken, as the list shows it."""

    source: str
    key: str
    action: str
    action_label: str
    title: str
    actor_name: str | None
    note: str
    result: str
    at: datetime


@dataclass(frozen=True)
class Listing:
    gathered: Gathered
    records: dict[tuple[str, str], list[Record]]  # beside the open items
    handled: list[Record]  # lately, on items no longer listed, newest first


def listing(ctx: LaunchContext, programme: Programme, now: datetime | None = None) -> Listing:
    _require_coordinator(ctx, programme)
    now = now or utcnow()
    gathered = gather(programme, now)
    registry.keep_count(programme.id, len(gathered.items))
    found = records(programme, now)
    open_keys = {(item.source, item.key) for item in gathered.items}
    recent = now - timedelta(days=HANDLED_SHOWN_DAYS)
    handled = sorted(
        (rows[0] for key, rows in found.items() if key not in open_keys and rows[0].at >= recent),
        key=lambda r: r.at,
        reverse=True,
    )
    return Listing(gathered, {k: v for k, v in found.items() if k in open_keys}, handled[:HANDLED_SHOWN])


def records(programme: Programme, now: datetime | None = None) -> dict[tuple[str, str], list[Record]]:
    """Who acted on which item lately, newest first, by (source, key)."""
    since = (now or utcnow()) - timedelta(days=RECORDS_SHOWN_DAYS)
    rows = db.session.execute(
        sa.select(AttentionAction, User)
        .outerjoin(User, AttentionAction.actor_user_id == User.id)
        .where(AttentionAction.programme_id == programme.id, AttentionAction.at >= since)
        .order_by(AttentionAction.at.desc(), AttentionAction.id.desc())
    ).all()
    found: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for row, user in rows:
        shown = found[(row.source, row.key)]
        if len(shown) < RECORDS_PER_ITEM:
            name = user.display_name if user is not None else None
            shown.append(
                Record(
                    row.source,
                    row.key,
                    row.action,
                    row.action_label,
                    row.title,
                    name,
                    row.note,
                    row.result,
                    row.at,
                )
            )
    return dict(found)


def act(
    ctx: LaunchContext,
    programme: Programme,
    source_name: str,
    key: str,
    action_name: str,
    form: Mapping[str, str],
    *,
    note: str = "",
    now: datetime | None = None,
) -> AttentionAction:
    """Take ``action_name`` on the open item ``key`` of ``source_name`` and record who did.

    Only an action the item offers right now is taken (a stale page, a forged form, an item someone
    else dealt with meanwhile are refused). The record is written first, then the source acts: a
    source that commits commits both; one that raises leaves neither.
    """
    _require_coordinator(ctx, programme)
    source = registry.source(source_name)
    if source is None or source.act is None:
        raise NotFound(_("This kind of item cannot be acted on here. Reload the attention list."))
    item = next((i for i in source.items(programme, now or utcnow()) if i.key == key), None)
    if item is None:
        raise Conflict(
            _("This item no longer needs attention (someone may have dealt with it). Reload the list.")
        )
    action = next((a for a in item.actions if a.name == action_name and a.url is None), None)
    if action is None:
        raise NotFound(_("This action is not offered for this item. Reload the attention list."))
    record = AttentionAction(
        programme_id=programme.id,
        source=source_name,
        key=key,
        action=action_name,
        action_label=action.label[:LABEL_MAX],
        title=item.title[:TITLE_MAX],
        actor_user_id=ctx.user_id,
        note=(clean_name(note) or "")[:NOTE_MAX],
        at=utcnow(),
    )
    db.session.add(record)
    db.session.flush()
    try:
        result = source.act(ctx, programme, key, action_name, form)
    except Exception:
        db.session.rollback()
        raise
    record.result = str(result or "")
    db.session.commit()
    registry.forget_count(programme.id)  # the badge counts afresh
    return record


def action_done(ctx: LaunchContext, programme: Programme, action_id: int) -> AttentionAction | None:
    """The action this person just took here (the page says how it went), if it is theirs."""
    row = db.session.get(AttentionAction, action_id)
    if row is None or row.programme_id != programme.id or row.actor_user_id != ctx.user_id:
        return None
    return row


def _require_coordinator(ctx: LaunchContext, programme: Programme) -> None:
    if not ctx.is_coordinator or ctx.course_id != programme.course_id:
        raise Forbidden(_("Only the programme's coordinators can see what needs attention."))
