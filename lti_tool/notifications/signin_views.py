"""``/signin/<token>``: where a link in an e-mail lands, in a browser with no Ritmo session.

GET shows who the link signs in and one button; only the POST spends the link (mail security
scanners fetch every URL of a message, and must not use it up). The POST makes the session a launch
would make and redirects to the Ritmo page the e-mail was about, carrying the session as a one-time
code (``?rh=``), like any redirect after a form. A link that no longer works shows why, the way in
from the course, and, for an expired or used link, a button that e-mails a fresh one to the
person's own address (once per link).
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, redirect, render_template
from flask_babel import gettext as _

from lti_tool import audit
from lti_tool.accounts.models import Course, User
from lti_tool.db import db
from lti_tool.i18n import written_for
from lti_tool.identity import email_links, handoff
from lti_tool.identity.email_links import LinkRefused, LinkState
from lti_tool.identity.session import issue_token
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.mail import send_email
from lti_tool.notifications import links

bp = Blueprint("signin", __name__)

_NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _platform_active(platform_id: int) -> bool:
    platform = db.session.get(Platform, platform_id)
    return platform is not None and platform.status is PlatformStatus.ACTIVE


def _with_code(path: str, code: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{handoff.QUERY_PARAM}={code}"


def _refused(error: LinkRefused, token: str, *, renewed: bool = False) -> tuple[str, int, dict[str, str]]:
    link = error.link
    course = db.session.get(Course, link.course_id) if link else None
    platform = db.session.get(Platform, course.platform_id) if course else None
    user = db.session.get(User, link.user_id) if link else None
    lms_url = platform.issuer if platform and platform.issuer.startswith(("https://", "http://")) else None
    can_renew = bool(
        link
        and not renewed
        and link.renewed_at is None
        and error.state in (LinkState.USED, LinkState.EXPIRED)
        and user
        and user.email
    )
    page = render_template(
        "notifications/signin_refused.html",
        reason=error.detail,
        course=course,
        platform=platform,
        lms_url=lms_url,
        can_renew=can_renew,
        renewed=renewed,
        token=token,
    )
    return page, 410 if link else 404, _NO_STORE


@bp.get("/signin/<token>")
def confirm(token: str) -> tuple[str, int, dict[str, str]]:
    try:
        link = email_links.usable(token)
    except LinkRefused as error:
        return _refused(error, token)
    user = db.session.get(User, link.user_id)
    course = db.session.get(Course, link.course_id)
    page = render_template("notifications/signin.html", user=user, course=course, token=token)
    return page, 200, _NO_STORE


@bp.post("/signin/<token>")
def spend(token: str) -> Response | tuple[str, int, dict[str, str]]:
    try:
        spent = email_links.spend(token, platform_active=_platform_active)
    except LinkRefused as error:
        return _refused(error, token)
    audit.record(
        "user.signed_in_by_email", "user", spent.context.user_id, actor_user_id=spent.context.user_id
    )
    db.session.commit()
    code = handoff.mint(issue_token(spent.context))
    response = cast(Response, redirect(_with_code(spent.path, code), code=303))
    response.headers.update(_NO_STORE)
    return response


@bp.post("/signin/<token>/renew")
def renew(token: str) -> tuple[str, int, dict[str, str]]:
    """E-mail a fresh link to the person the old one named: only they can use it."""
    link = email_links.renew(token)
    user = db.session.get(User, link.user_id) if link else None
    if link is None or user is None or not user.email:
        db.session.rollback()
        try:
            email_links.usable(token)
        except LinkRefused as error:
            return _refused(error, token, renewed=True)
        return confirm(token)  # still usable: nothing to renew
    fresh = links.sign_in_url(email_links.mint(user.id, link.course_id, link.path))
    with written_for(user.locale):
        send_email(
            user.email,
            _("Your new link to Ritmo"),
            render_template("notifications/signin_email.txt", link=fresh),
            headers={"Auto-Submitted": "auto-generated"},
        )
    db.session.commit()
    page = render_template("notifications/signin_sent.html")
    return page, 200, _NO_STORE
