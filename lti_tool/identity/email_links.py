"""Sign-in links in e-mail: a short-lived, single-use link that opens one Ritmo page as its person.

A link in an e-mail is opened in a browser that has no Ritmo session (the session lives in the
LMS frame). Each link Ritmo puts in an e-mail names one person, one course and one Ritmo path. The
e-mail carries 256 random bits; the database keeps only their HMAC under the app's secret, so a
copy of the table (a backup, a log) opens nothing. A link is spent by the first confirmed use (an
atomic update), expires after :data:`LINK_TTL`, and is refused when the person's sessions were
revoked after it was made (``User.sessions_valid_after``: erasure, a role or enrolment change),
when the person was erased, or when the caller says their platform is not active. Spending it
makes the same launch context a launch would (the person's role in that course from their
enrolment), so every page checks access exactly as for a launch.

This module decides; the route that spends a link (``notifications.signin_views``) shows a confirm page
first, so link scanners that fetch every URL of an e-mail spend nothing.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.accounts.models import Course, Enrolment, User
from lti_tool.db import Base, db, utcnow
from lti_tool.errors import InvalidInput, NotAuthenticated
from lti_tool.identity.context import LaunchContext

#: Long enough for a person to read the morning's mail, short enough that an old, forwarded or
#: leaked e-mail opens nothing; an expired link offers a fresh one sent to the same address.
LINK_TTL = timedelta(hours=24)
#: How the link's path part is recognised (``secrets.token_urlsafe(32)``).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
PATH_MAX = 1024
_ERASED_PREFIX = "erased-"


class LinkState(enum.StrEnum):
    USABLE = "usable"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"  # the person's sessions ended after the link was made, or they left


class SignInLink(Base):
    """One link put in one e-mail. Only the token's HMAC is kept."""

    __tablename__ = "sign_in_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(PATH_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    # Set when the person asked for a fresh link from this one (at most once per link).
    renewed_at: Mapped[datetime | None]


class LinkRefused(NotAuthenticated):
    """A link that opens nothing; ``link`` is set when the token was one of Ritmo's."""

    title = _l("This link no longer works")

    def __init__(self, state: LinkState | None, link: SignInLink | None, detail: str) -> None:
        super().__init__(detail)
        self.state = state
        self.link = link


@dataclass(frozen=True)
class Spent:
    """What a spent link opens: the session's context and the Ritmo path to go to."""

    context: LaunchContext
    path: str


def ritmo_path(link: str) -> str:
    """``link`` as a path inside Ritmo, or :class:`InvalidInput`: a sign-in link never leads
    elsewhere (no scheme, no host, no ``//`` or backslash that a browser would read as a host)."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    if link.startswith(base + "/"):
        link = link[len(base) :]
    parts = urlsplit(link)
    if (
        not link.startswith("/")
        or link.startswith("//")
        or "\\" in link
        or parts.scheme
        or parts.netloc
        or any(ord(ch) < 0x21 for ch in link)
        or len(link) > PATH_MAX
    ):
        raise InvalidInput(_l("A sign-in link can only open a page of Ritmo."))
    return link


def _digest(token: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"ritmo-sign-in-link:" + token.encode(), hashlib.sha256).hexdigest()


def mint(
    user_id: int, course_id: int, path: str, *, now: datetime | None = None, ttl: timedelta = LINK_TTL
) -> str:
    """A fresh token opening ``path`` for the person in the course. Joins the caller's transaction
    (a rolled-back e-mail leaves no link)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(
        SignInLink(
            token_hash=_digest(token),
            user_id=user_id,
            course_id=course_id,
            path=ritmo_path(path),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


def find(token: str) -> SignInLink | None:
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    return db.session.execute(
        sa.select(SignInLink).where(SignInLink.token_hash == _digest(token))
    ).scalar_one_or_none()


def state_of(link: SignInLink, now: datetime | None = None) -> LinkState:
    now = now or utcnow()
    user = db.session.get(User, link.user_id)
    if user is None or user.sub.startswith(_ERASED_PREFIX):
        return LinkState.REVOKED
    if user.sessions_valid_after is not None and user.sessions_valid_after > link.created_at:
        return LinkState.REVOKED
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.USABLE


_REASONS = {
    LinkState.USED: _l("This sign-in link was used already: each link in an e-mail opens Ritmo once."),
    LinkState.EXPIRED: _l("This sign-in link has expired: links in e-mails work for 24 hours."),
    LinkState.REVOKED: _l("This sign-in link was withdrawn. Open Ritmo from your course."),
}


def usable(token: str, now: datetime | None = None) -> SignInLink:
    """The link ``token`` names, if it would open Ritmo now; else :class:`LinkRefused`."""
    link = find(token)
    if link is None:
        raise LinkRefused(None, None, str(_l("This sign-in link is not valid. Open Ritmo from your course.")))
    state = state_of(link, now)
    if state is not LinkState.USABLE:
        raise LinkRefused(state, link, str(_REASONS[state]))
    return link


def spend(token: str, *, platform_active: Callable[[int], bool], now: datetime | None = None) -> Spent:
    """Use the link once: the launch context it opens and its path. Commits, so that a second
    request (a double click, a second tab) finds it spent."""
    now = now or utcnow()
    link = usable(token, now)
    course = db.session.get(Course, link.course_id)
    enrolment = db.session.execute(
        sa.select(Enrolment).where(Enrolment.user_id == link.user_id, Enrolment.course_id == link.course_id)
    ).scalar_one_or_none()
    if course is None or enrolment is None or not platform_active(course.platform_id):
        raise LinkRefused(LinkState.REVOKED, link, str(_REASONS[LinkState.REVOKED]))
    taken = db.session.execute(
        sa.update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None), SignInLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if getattr(taken, "rowcount", 0) != 1:
        raise LinkRefused(LinkState.USED, link, str(_REASONS[LinkState.USED]))
    user = db.session.get(User, link.user_id)
    context = LaunchContext(
        platform_id=course.platform_id,
        user_id=link.user_id,
        course_id=course.id,
        role=enrolment.role,
        is_mentor=enrolment.is_mentor,
        locale=user.locale if user else None,
        lis_roles=tuple(enrolment.lis_roles or ()),
    )
    return Spent(context, link.path)


def renew(token: str, *, now: datetime | None = None) -> SignInLink | None:
    """Mark an expired (or used) link as renewed, once: the caller e-mails a fresh link to the
    person's own address. None when it was renewed already, withdrawn, or still usable."""
    now = now or utcnow()
    link = find(token)
    if link is None or link.renewed_at is not None:
        return None
    if state_of(link, now) not in (LinkState.USED, LinkState.EXPIRED):
        return None
    taken = db.session.execute(
        sa.update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.renewed_at.is_(None))
        .values(renewed_at=now)
        .execution_options(synchronize_session=False)
    )
    return link if getattr(taken, "rowcount", 0) == 1 else None


def purge(before: datetime) -> int:
    """Delete links that expired before ``before`` (kept a while to explain a late click)."""
    done = db.session.execute(sa.delete(SignInLink).where(SignInLink.expires_at < before))
    return int(getattr(done, "rowcount", 0) or 0)
