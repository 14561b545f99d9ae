"""The links Ritmo puts in e-mail: a Ritmo page becomes a single-use sign-in link to it.

A link to a Ritmo page, opened from a mail client, lands in a browser that has no Ritmo session
(the session lives in the LMS frame), so a plain link opens "Open Ritmo again from your course".
Every e-mail notification and digest item therefore carries ``/signin/<token>``
(``identity.email_links``): bound to the person and the course, spent once, 24 hours. Links
elsewhere (a video room, another site) are left as they are; a person Ritmo knows no course of
gets the plain address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lti_tool.accounts.models import Enrolment
from lti_tool.db import db, utcnow
from lti_tool.errors import InvalidInput
from lti_tool.identity import email_links

SIGN_IN_PREFIX = "/signin/"
PURGE_TASK = "notifications.purge_links"
#: Expired links are kept this long, so that a late click reads "expired" (with a fresh link on
#: offer) rather than "not valid".
KEEP_EXPIRED = timedelta(days=7)


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def latest_course(user_id: int) -> int | None:
    """The course the person last launched Ritmo from (or was last synced into)."""
    return db.session.execute(
        sa.select(Enrolment.course_id)
        .where(Enrolment.user_id == user_id)
        .order_by(Enrolment.updated_at.desc(), Enrolment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def sign_in_url(token: str) -> str:
    return f"{base_url()}{SIGN_IN_PREFIX}{token}"


def email_link(
    user_id: int, course_id: int | None, link: str | None, *, held_until: datetime | None = None
) -> str | None:
    """What an e-mail to the person shows for ``link``: a sign-in link for a Ritmo page, the link
    itself otherwise. ``held_until``: the e-mail waits until then, and the link lives that much
    longer. Joins the caller's transaction."""
    if not link:
        return None
    try:
        path = email_links.ritmo_path(link)
    except InvalidInput:
        return link  # another site: nothing to sign in to
    course = course_id or latest_course(user_id)
    if course is None:
        return base_url() + path
    now = utcnow()
    ttl = email_links.LINK_TTL + (held_until - now if held_until and held_until > now else timedelta(0))
    return sign_in_url(email_links.mint(user_id, course, path, now=now, ttl=ttl))


def purge_task(payload: dict[str, Any]) -> None:
    """Daily: delete the links that expired more than :data:`KEEP_EXPIRED` ago."""
    email_links.purge(utcnow() - KEEP_EXPIRED)
    db.session.commit()
