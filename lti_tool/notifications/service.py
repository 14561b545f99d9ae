"""Notify people in the app and by e-mail, as each of them chose.

:func:`notify` is the one entry point for every feature: it writes the in-app notification and, in
the same transaction, queues the e-mail (``mail.send`` job) or leaves it for the daily digest. A person
without an address still gets the in-app notification. Every e-mail carries a signed one-click
unsubscribe link (RFC 8058 ``List-Unsubscribe`` + ``List-Unsubscribe-Post``), and its link to a Ritmo
page is a single-use sign-in link (``notifications.links``), so it opens in a browser with no session.
An immediate e-mail that falls in the person's quiet hours is held until they end
(``notifications.quiet_hours``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, URLSafeSerializer

from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput, NotFound
from lti_tool.i18n import written_for
from lti_tool.jobs import enqueue
from lti_tool.mail import send_email
from lti_tool.notifications import links, quiet_hours
from lti_tool.notifications.models import DEFAULT_MODE, EmailMode, EmailPreference, EmailState, Notification

DIGEST_TASK = "notifications.digest"
NOTIFICATIONS_PAGE_SIZE = 30
SUBJECT_MAX = 255
_UNSUBSCRIBE_SALT = "ritmo-unsubscribe-v1"


# -- preferences -------------------------------------------------------------------------------


def email_mode(user_id: int) -> EmailMode:
    pref = db.session.get(EmailPreference, user_id)
    return pref.mode if pref else DEFAULT_MODE


def set_email_mode(user_id: int, mode: EmailMode, *, via_unsubscribe: bool = False) -> EmailPreference:
    pref = db.session.get(EmailPreference, user_id)
    if pref is None:
        pref = EmailPreference(user_id=user_id, mode=mode)
        db.session.add(pref)
    pref.mode = mode
    pref.updated_at = utcnow()
    pref.unsubscribed_at = utcnow() if via_unsubscribe else None
    if mode is EmailMode.OFF:
        # Nothing waits for a digest that will not come.
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == user_id, Notification.email_state == EmailState.PENDING)
            .values(email_state=EmailState.SKIPPED)
        )
        quiet_hours.call_off_held(user_id)
    db.session.commit()
    return pref


def unsubscribe_token(user_id: int) -> str:
    """A signed token naming the person; it does not expire (old e-mails must keep working)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).dumps({"u": user_id})


def unsubscribe_url(user_id: int) -> str:
    return f"{_base_url()}/notifications/unsubscribe/{unsubscribe_token(user_id)}"


def user_for_unsubscribe(token: str) -> User:
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature as error:
        raise NotFound(
            _(
                "This unsubscribe link is not valid. "
                "Change your e-mail settings from Ritmo's notifications page."
            )
        ) from error
    user = db.session.get(User, int(data.get("u", 0)))
    if user is None:
        raise NotFound(_("This person no longer exists in Ritmo."))
    return user


def unsubscribe(token: str) -> User:
    """Turn e-mail off for the person the token names (one click, no session needed)."""
    user = user_for_unsubscribe(token)
    set_email_mode(user.id, EmailMode.OFF, via_unsubscribe=True)
    return user


# -- notifying -----------------------------------------------------------------------------------


def notify(
    user_id: int,
    kind: str,
    subject: str | LazyString,
    text: str | LazyString,
    html: str | None = None,
    link: str | None = None,
    ics: str | None = None,
    reply_to: str | None = None,
    *,
    match_id: int | None = None,
    course_id: int | None = None,
) -> Notification:
    """Tell one person something, in the app and by e-mail as they chose.

    Joins the caller's transaction (commit with the change it announces). ``link`` is a path inside
    Ritmo (``/matches/3/space``) or an absolute URL; ``ics`` an RFC 5545 calendar text attached to
    the e-mail. ``html`` must already be safe (escaped or sanitised). Pass ``subject`` and ``text``
    as lazy strings (``lazy_gettext``) to have them written in the recipient's language, like the
    e-mail around them. ``reply_to`` (an address replies should go to, e.g. a signed reply
    address of ``lti_tool.inbound``) becomes the e-mail's ``Reply-To``; digests carry none.

    ``match_id``: the match this is about; the e-mail then appears in that match's history for the
    recipient ("E-mail sent to you: ..."). Pass it wherever a notification concerns a match.
    ``course_id``: the course whose session the e-mail's sign-in link opens; without it, the course
    the person last launched Ritmo from (pass it when the person may be in several courses).
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("This person does not exist in Ritmo."))
    with written_for(user.locale):
        return _notify(
            user,
            kind,
            str(subject),
            str(text),
            html,
            link,
            ics,
            reply_to,
            match_id=match_id,
            course_id=course_id,
        )


def _notify(
    user: User,
    kind: str,
    subject: str,
    text: str,
    html: str | None,
    link: str | None,
    ics: str | None,
    reply_to: str | None = None,
    *,
    match_id: int | None = None,
    course_id: int | None = None,
) -> Notification:
    user_id = user.id
    mode = email_mode(user_id)
    if not user.email or mode is EmailMode.OFF:
        state = EmailState.SKIPPED
    elif mode is EmailMode.DIGEST:
        state = EmailState.PENDING
    else:
        state = EmailState.QUEUED
    notification = Notification(
        user_id=user_id,
        kind=kind,
        subject=subject[:SUBJECT_MAX],
        text=text,
        link=link,
        ics=ics,
        email_state=state,
        match_id=match_id,
        course_id=course_id,
    )
    db.session.add(notification)
    if state is EmailState.QUEUED:
        assert user.email
        held_until = quiet_hours.release_at(user)
        dedupe_key = None
        if held_until is not None:
            notification.email_after = held_until
            db.session.flush()
            dedupe_key = quiet_hours.held_mail_key(notification.id)
        _send(
            user,
            subject,
            text,
            html=html,
            link=link,
            ics_texts=[ics] if ics else [],
            reply_to=reply_to,
            course_id=course_id,
            run_at=held_until,
            dedupe_key=dedupe_key,
        )
    elif state is EmailState.PENDING:
        schedule_digest()
    return notification


def absolute_link(link: str | None) -> str | None:
    if not link:
        return None
    return link if re.match(r"^https?://", link) else _base_url() + link


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


def _send(
    user: User,
    subject: str,
    text: str,
    *,
    html: str | None,
    link: str | None,
    ics_texts: list[str],
    reply_to: str | None = None,
    course_id: int | None = None,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    assert user.email
    url = links.email_link(user.id, course_id, link, held_until=run_at)
    unsubscribe = unsubscribe_url(user.id)
    settings = f"{_base_url()}/notifications/preferences"
    body_text = render_template(
        "notifications/email.txt", text=text, link=url, unsubscribe=unsubscribe, settings=settings
    )
    body_html = render_template(
        "notifications/email.html",
        subject=subject,
        text=text,
        html=html,
        link=url,
        unsubscribe=unsubscribe,
        settings=settings,
    )
    attachments = []
    for index, ics in enumerate(ics_texts):
        method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in ics else "REQUEST"
        attachments.append(
            {
                "filename": "invite.ics" if len(ics_texts) == 1 else f"invite-{index + 1}.ics",
                "content_type": f"text/calendar; method={method}",
                "data": ics.encode("utf-8"),
            }
        )
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    if reply_to:
        headers["Reply-To"] = reply_to
    send_email(
        user.email,
        subject,
        body_text,
        html=body_html,
        attachments=attachments,
        headers=headers,
        run_at=run_at,
        dedupe_key=dedupe_key,
    )


# -- digests -------------------------------------------------------------------------------------


def next_digest_at(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    hour = int(current_app.config["NOTIFICATIONS_DIGEST_HOUR_UTC"])
    at = datetime.combine(now.date(), time(hour=hour), tzinfo=UTC)
    return at if at > now else at + timedelta(days=1)


def schedule_digest() -> None:
    """Make sure the periodic digest job is queued for the next digest hour (one job per day)."""
    at = next_digest_at()
    enqueue(DIGEST_TASK, {}, run_at=at, dedupe_key=f"{DIGEST_TASK}:{at.date().isoformat()}")


def digest_task(payload: dict[str, Any]) -> None:
    """The periodic job: send what waits for the digest."""
    send_digests()


def send_digests() -> int:
    """Send every person with pending notifications one e-mail listing them; returns how many."""
    rows = (
        db.session.execute(
            sa.select(Notification)
            .where(Notification.email_state == EmailState.PENDING)
            .order_by(Notification.user_id, Notification.created_at, Notification.id)
        )
        .scalars()
        .all()
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(list(by_user)))).scalars()}
    sent = 0
    for user_id, items in by_user.items():
        user = users.get(user_id)
        if user is None or not user.email or email_mode(user_id) is EmailMode.OFF:
            for item in items:
                item.email_state = EmailState.SKIPPED
            continue
        with written_for(user.locale):
            _send_digest(user, items)
        for item in items:
            item.email_state = EmailState.DIGESTED
        sent += 1
    db.session.flush()
    return sent


def _send_digest(user: User, items: list[Notification]) -> None:
    subject = (
        ngettext("Ritmo: %(num)d update", "Ritmo: %(num)d updates", len(items))
        if len(items) > 1
        else items[0].subject
    )
    # Each item's link is its own single-use sign-in link.
    urls = [links.email_link(user.id, item.course_id, item.link) for item in items]
    lines = [
        f"- {item.subject}\n  {item.text}" + (f"\n  {url}" if url else "")
        for item, url in zip(items, urls, strict=True)
    ]
    text = _("What happened since your last digest:") + "\n\n" + "\n\n".join(lines)
    html = render_template("notifications/digest.html", items=list(zip(items, urls, strict=True)))
    _send(user, subject, text, html=html, link=None, ics_texts=[i.ics for i in items if i.ics])


# -- in-app --------------------------------------------------------------------------------------


def list_notifications(
    user_id: int, *, before_id: int | None = None, limit: int = NOTIFICATIONS_PAGE_SIZE
) -> tuple[list[Notification], int | None]:
    """A page of the person's notifications, newest first, with the cursor of the next page."""
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = list(db.session.execute(query.order_by(Notification.id.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def unread_count(user_id: int) -> int:
    return int(
        db.session.execute(
            sa.select(sa.func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).scalar_one()
    )


def mark_read(user_id: int, ids: list[int] | None = None) -> int:
    """Mark the given notifications (or all) read; only the person's own ones are touched."""
    if ids is not None and len(ids) > 500:
        raise InvalidInput(_("Mark at most 500 notifications at once."))
    statement = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    result = cast("sa.CursorResult[Any]", db.session.execute(statement.values(read_at=utcnow())))
    count = result.rowcount
    db.session.commit()
    return int(count or 0)
