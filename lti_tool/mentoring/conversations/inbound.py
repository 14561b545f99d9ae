"""Replies by e-mail to a thread or chat notification, posted in that thread or chat as the person.

A thread e-mail's ``Reply-To`` names (person, match or 0 for the forum, thread); a chat reminder's
(person, match). A reply goes through the very services a page uses (``threads.reply``,
``chat.send_chat``), as a :class:`LaunchContext` rebuilt from the person's enrolment in the
programme's course: the same cleaning, Markdown sanitising, mentions and notifications, and the
same rules: a member of a live match (or of the programme, for the forum) who has not withdrawn,
still enrolled, on a platform that may still launch Ritmo. The per-person posting and chat limits
are the pages' own counters. Whatever refuses a page refuses the e-mail, with the same words.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lti_tool.accounts.models import Enrolment, User
from lti_tool.db import db
from lti_tool.errors import Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.inbound.addresses import ReplyAddress
from lti_tool.inbound.parsing import ParsedMail
from lti_tool.inbound.service import register_handler
from lti_tool.launch.models import Platform, PlatformStatus
from lti_tool.mentoring.conversations import chat, threads
from lti_tool.mentoring.conversations.models import Thread
from lti_tool.mentoring.conversations.reply_addresses import CHAT_KIND, THREAD_KIND
from lti_tool.mentoring.conversations.spaces import Space, get_thread, match_space, require_write
from lti_tool.mentoring.matching.models import Match
from lti_tool.mentoring.programmes.models import Participant, ParticipantStatus, Programme
from lti_tool.ratelimit import hit


def register() -> None:
    """Take replies to thread and chat e-mails (from the feature's ``init_app``)."""
    register_handler(THREAD_KIND, check=check_thread, deliver=deliver_thread)
    register_handler(CHAT_KIND, check=check_chat, deliver=deliver_chat)


# -- threads ---------------------------------------------------------------------------------------


def check_thread(reply: ReplyAddress, user: User) -> None:
    _thread_place(reply, user)


def deliver_thread(reply: ReplyAddress, user: User, mail: ParsedMail) -> None:
    ctx, thread = _thread_place(reply, user)
    hit(f"posting:{ctx.user_id}", current_app.config["RATELIMIT_POSTING"])  # the pages' bucket
    threads.reply(ctx, thread.id, body=mail.text)


def _thread_place(reply: ReplyAddress, user: User) -> tuple[LaunchContext, Thread]:
    if len(reply.ids) != 2:
        raise NotFound(_("This thread does not exist or was removed."))
    match_id, thread_id = reply.ids
    thread = db.session.get(Thread, thread_id)
    if thread is None or (thread.match_id or 0) != match_id:
        raise NotFound(_("This thread does not exist or was removed."))
    ctx = _context(user, thread.programme_id)
    _thread, space = get_thread(ctx, thread.id)
    _require_writer(space, user)
    return ctx, thread


# -- chat ------------------------------------------------------------------------------------------


def check_chat(reply: ReplyAddress, user: User) -> None:
    _chat_place(reply, user)


def deliver_chat(reply: ReplyAddress, user: User, mail: ParsedMail) -> None:
    ctx, match_id = _chat_place(reply, user)
    hit(f"chat:{ctx.user_id}", current_app.config["RATELIMIT_CHAT"])  # the pages' bucket
    chat.send_chat(ctx, match_id, mail.text)


def _chat_place(reply: ReplyAddress, user: User) -> tuple[LaunchContext, int]:
    if len(reply.ids) != 1:
        raise NotFound(_("This chat does not exist."))
    match_id = reply.ids[0]
    programme_id = db.session.execute(
        sa.select(Match.programme_id).where(Match.id == match_id)
    ).scalar_one_or_none()
    if programme_id is None:
        raise NotFound(_("This chat does not exist."))
    ctx = _context(user, programme_id)
    _require_writer(match_space(ctx, match_id), user)
    return ctx, match_id


# -- the person, as a launch would see them --------------------------------------------------------


def _context(user: User, programme_id: int) -> LaunchContext:
    """The person in the programme's course, from their enrolment (what their last launch or the
    roster said); refused when they left the course or their platform was disabled."""
    row = db.session.execute(
        sa.select(Enrolment, Programme.course_id)
        .join(Programme, Programme.course_id == Enrolment.course_id)
        .where(Programme.id == programme_id, Enrolment.user_id == user.id)
    ).first()
    platform = db.session.get(Platform, user.platform_id)
    if row is None or platform is None or platform.status is not PlatformStatus.ACTIVE:
        raise Forbidden(_("You are no longer part of this course, so replies by e-mail are closed."))
    enrolment, course_id = row
    return LaunchContext(
        platform_id=user.platform_id,
        user_id=user.id,
        course_id=course_id,
        role=enrolment.role,
        is_mentor=enrolment.is_mentor,
        locale=user.locale,
        lis_roles=tuple(enrolment.lis_roles or ()),
    )


def _require_writer(space: Space, user: User) -> None:
    """Writable for this person now: the space's rule (a live match's member), and not withdrawn."""
    require_write(space)
    status = db.session.execute(
        sa.select(Participant.status).where(
            Participant.programme_id == space.programme.id, Participant.user_id == user.id
        )
    ).scalar_one_or_none()
    if status is ParticipantStatus.WITHDRAWN and not space.is_coordinator:
        raise Forbidden(_("You have left this programme, so you can no longer write here."))
