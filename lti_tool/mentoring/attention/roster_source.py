"""The attention source "roster_sync": the programme's roster sync failed, with a retry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.errors import NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attention.registry import Action, Item, register_source
from lti_tool.mentoring.programmes.models import Programme
from lti_tool.mentoring.roster import syncs

NAME = "roster_sync"
KEY = "last"
#: How much of the LMS's answer the list shows (the roster page has the rest).
ERROR_SHOWN = 300


def items(programme: Programme, now: datetime) -> list[Item]:
    failure = syncs.last_failure(programme)
    if failure is None:
        return []
    error = failure.error.strip()[:ERROR_SHOWN] or _("The LMS gave no reason.")
    reason = _("The course roster could not be read from the LMS: %(error)s", error=error)
    if failure.retry_queued:
        reason += " " + _("A new sync is waiting to run.")
    elif failure.retry_at is None and failure.tries > 1:
        reason += " " + _("Ritmo stopped after %(n)d tries.", n=failure.tries)
    actions = () if failure.retry_queued else (Action("retry", _("Retry the sync")),)
    return [
        Item(
            source=NAME,
            key=KEY,
            title=_("The roster sync failed"),
            reason=reason,
            since=failure.at,
            severity=1,
            actions=actions,
            link=f"/programmes/{programme.id}/roster",
        )
    ]


def act(ctx: LaunchContext, programme: Programme, key: str, action: str, form: Mapping[str, str]) -> str:
    if key != KEY or action != "retry":
        raise NotFound(_("This action does not exist. Reload the attention list."))
    syncs.start(ctx, programme)
    return _("A new roster sync was queued; the list shows it again if it fails.")


def register() -> None:
    register_source(NAME, items, act, label=_l("Roster sync"))
