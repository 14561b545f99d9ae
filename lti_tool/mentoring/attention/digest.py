"""The daily attention digest: each coordinator of a programme with open items gets one e-mail a
day listing them, in their language, with a link to the attention list.

The task is periodic (hourly, ``jobs/periodic.py``) and sends from the digest hour on
(``NOTIFICATIONS_DIGEST_HOUR_UTC``); a coordinator who already got today's digest is skipped, so
however often it runs nobody gets two in a day, and nobody gets one when nothing waits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.i18n import language_of, written_for
from lti_tool.mentoring.attention.registry import Item, gather
from lti_tool.mentoring.programmes.models import Participant, ParticipantRole, ParticipantStatus, Programme
from lti_tool.notifications.models import Notification
from lti_tool.notifications.service import absolute_link, notify

DIGEST_TASK = "attention.digest"
DIGEST_KIND = "attention.digest"
#: Items named one by one per programme in the e-mail; the page has the rest.
ITEMS_LISTED = 5


def digest_task(payload: dict[str, Any]) -> None:
    # Sources may build their links with url_for: give them the installation's address to do it.
    with current_app.test_request_context(base_url=str(current_app.config["BASE_URL"])):
        send_digests()
        db.session.commit()


def attention_path(programme_id: int) -> str:
    return f"/programmes/{programme_id}/attention"


def send_digests(now: datetime | None = None) -> int:
    """Send today's digest to every coordinator who has open items and none yet; returns how many.
    Joins the caller's transaction."""
    now = now or utcnow()
    if now.hour < int(current_app.config["NOTIFICATIONS_DIGEST_HOUR_UTC"]):
        return 0
    waiting = _coordinators_without_todays_digest(now)
    if not waiting:
        return 0
    users = db.session.execute(sa.select(User).where(User.id.in_(list(waiting)))).scalars()
    # A programme's items in one language, asked once however many coordinators read them.
    asked: dict[tuple[int, str], list[Item]] = {}
    sent = 0
    for user in users:
        language = language_of(user.locale)
        with written_for(user.locale):
            for programme in waiting[user.id]:
                if (programme.id, language) not in asked:
                    asked[(programme.id, language)] = gather(programme, now).items
            sections = [(p, asked[(p.id, language)]) for p in waiting[user.id] if asked[(p.id, language)]]
            if sections:
                _send(user, sections)
                sent += 1
    return sent


def _coordinators_without_todays_digest(now: datetime) -> dict[int, list[Programme]]:
    day_start = datetime.combine(now.date(), time(0), tzinfo=UTC)
    already = sa.select(Notification.user_id).where(
        Notification.kind == DIGEST_KIND, Notification.created_at >= day_start
    )
    rows = db.session.execute(
        sa.select(Participant.user_id, Programme)
        .join(Programme, Participant.programme_id == Programme.id)
        .where(
            Participant.role == ParticipantRole.COORDINATOR,
            Participant.status != ParticipantStatus.WITHDRAWN,
            Participant.user_id.not_in(already),
        )
        .order_by(Participant.user_id, Programme.id)
    ).all()
    found: dict[int, list[Programme]] = defaultdict(list)
    for user_id, programme in rows:
        found[user_id].append(programme)
    return dict(found)


def _send(user: User, sections: list[tuple[Programme, list[Item]]]) -> None:
    total = sum(len(items) for _p, items in sections)
    subject = ngettext(
        "Ritmo: %(num)d thing needs your attention", "Ritmo: %(num)d things need your attention", total
    )
    parts = [_section(programme, items) for programme, items in sections]
    text = _("These need a person in the programmes you coordinate:") + "\n\n" + "\n\n".join(parts)
    notify(user.id, DIGEST_KIND, subject, text, link=attention_path(sections[0][0].id))


def _section(programme: Programme, items: list[Item]) -> str:
    lines = [f"{programme.title} ({len(items)})"]
    lines += [f"- {item.title}: {item.reason}" for item in items[:ITEMS_LISTED]]
    if len(items) > ITEMS_LISTED:
        more = len(items) - ITEMS_LISTED
        lines.append(ngettext("…and %(num)d more.", "…and %(num)d more.", more))
    lines.append(_("Open the list: %(url)s", url=absolute_link(attention_path(programme.id))))
    return "\n".join(lines)
