"""The attention source "grade_delivery": scores the LMS gradebook refused or kept failing on.

One item per failed score (the newest :data:`SHOWN` of them) with a retry that queues its delivery
again; when more failed, one more item retries them all. The gradebook delivery page has every row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import NotFound
from lti_tool.grades import service as grades
from lti_tool.grades.models import DeliveryState, GradeLineItem, ScoreOutbox
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention.registry import Action, Item, register_source
from lti_tool.mentoring.programmes.models import Programme

NAME = "grade_delivery"
SHOWN = 25
ALL_KEY = "all"
ERROR_SHOWN = 300
DELIVERIES_PAGE = "/grades/deliveries?state=failed"


def _failed(programme: Programme) -> sa.Select[ScoreOutbox, GradeLineItem, User]:
    return (
        sa.select(ScoreOutbox, GradeLineItem, User)
        .join(GradeLineItem, ScoreOutbox.line_item_id == GradeLineItem.id)
        .join(User, ScoreOutbox.user_id == User.id)
        .where(GradeLineItem.course_id == programme.course_id, ScoreOutbox.state == DeliveryState.FAILED)
    )


def items(programme: Programme, now: datetime) -> list[Item]:
    rows = db.session.execute(
        _failed(programme).order_by(ScoreOutbox.updated_at.desc(), ScoreOutbox.id.desc()).limit(SHOWN + 1)
    ).all()
    found = [_item(row, line_item, user) for row, line_item, user in rows[:SHOWN]]
    if len(rows) > SHOWN:
        found.append(_all_item(programme, min(row.updated_at for row, _li, _u in rows)))
    return found


def _item(row: ScoreOutbox, line_item: GradeLineItem, user: User) -> Item:
    error = (row.last_error or "").strip()[:ERROR_SHOWN] or _("The LMS gave no reason.")
    return Item(
        source=NAME,
        key=f"score:{row.id}",
        title=_(
            "The score of %(person)s for “%(column)s” did not reach the gradebook",
            person=user.display_name,
            column=line_item.label,
        ),
        reason=error,
        since=row.updated_at,
        severity=1,
        actions=(Action("retry", _("Retry")),),
        link=DELIVERIES_PAGE,
    )


def _all_item(programme: Programme, oldest: datetime) -> Item:
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(_failed(programme).subquery())
    ).scalar_one()
    return Item(
        source=NAME,
        key=ALL_KEY,
        title=ngettext(
            "%(num)d score did not reach the gradebook",
            "%(num)d scores did not reach the gradebook",
            total,
        ),
        reason=_("Only the newest are listed one by one; the gradebook delivery page has them all."),
        since=oldest,
        severity=1,
        actions=(Action("retry", _("Retry all")),),
        link=DELIVERIES_PAGE,
    )


def act(ctx: LaunchContext, programme: Programme, key: str, action: str, form: Mapping[str, str]) -> str:
    if action != "retry":
        raise NotFound(_("This action does not exist. Reload the attention list."))
    if key == ALL_KEY:
        count = grades.retry(course_id=programme.course_id, actor_user_id=ctx.user_id)
    else:
        count = grades.retry(
            course_id=programme.course_id, outbox_id=_outbox_id(key), actor_user_id=ctx.user_id
        )
    return ngettext(
        "%(num)d score will be sent to the gradebook again.",
        "%(num)d scores will be sent to the gradebook again.",
        count,
    )


def _outbox_id(key: str) -> int:
    kind, _sep, number = key.partition(":")
    if kind != "score" or not number.isdigit():
        raise NotFound(_("This item does not exist. Reload the attention list."))
    return int(number)


def register() -> None:
    register_source(NAME, items, act, label=_l("Gradebook delivery"))
