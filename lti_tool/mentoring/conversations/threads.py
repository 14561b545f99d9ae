"""Topics and their posts in a space: opening, replying, editing with history, deleting, reading pages
of them, and who hears about a new post."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool import text as usertext
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue
from lti_tool.mentoring.conversations.cleaning import POST_MAX, clean_body, clean_links, clean_title
from lti_tool.mentoring.conversations.mentions import resolve_mentions
from lti_tool.mentoring.conversations.models import (
    Post,
    PostRevision,
    Thread,
    ThreadKind,
    ThreadRead,
)
from lti_tool.mentoring.conversations.read_state import commit_read_state, mark_thread_read, unread_by_thread
from lti_tool.mentoring.conversations.reply_addresses import thread_reply_address
from lti_tool.mentoring.conversations.spaces import (
    Space,
    get_thread,
    participant_id,
    require_write,
    users_by_id,
)
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
)
from lti_tool.notifications import service as notifications

THREADS_PAGE_SIZE = 20
POSTS_PAGE_SIZE = 50
ANNOUNCE_TASK = "conversations.announce"


def create_thread(
    ctx: LaunchContext,
    space: Space,
    *,
    title: str,
    body: str,
    links: Sequence[dict[str, Any]] | None = None,
    kind: ThreadKind | None = None,
) -> Thread:
    """Open a topic with its first post."""
    require_write(space)
    if space.is_forum:
        kind = kind or ThreadKind.QUESTION
        if kind is ThreadKind.DISCUSSION:
            kind = ThreadKind.QUESTION
        if kind is ThreadKind.ANNOUNCEMENT and not space.is_coordinator:
            raise Forbidden(_("Only coordinators post announcements. Ask your question instead."))
    else:
        kind = ThreadKind.DISCUSSION
    title = clean_title(title)
    body = clean_body(body, POST_MAX)
    cleaned_links = clean_links(links)
    now = utcnow()
    thread = Thread(
        programme_id=space.programme.id,
        match_id=space.match_id,
        kind=kind,
        title=title,
        author_user_id=ctx.user_id,
        created_at=now,
        last_post_at=now,
        post_count=0,
    )
    db.session.add(thread)
    db.session.flush()
    post = _add_post(ctx, space, thread, body=body, links=cleaned_links, parent=None, now=now)
    _announce_post(ctx, space, thread, post, new_thread=True)
    db.session.commit()
    return thread


def reply(
    ctx: LaunchContext,
    thread_id: int,
    *,
    body: str,
    links: Sequence[dict[str, Any]] | None = None,
    parent_id: int | None = None,
) -> Post:
    thread, space = get_thread(ctx, thread_id)
    require_write(space)
    body = clean_body(body, POST_MAX)
    cleaned_links = clean_links(links)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Post, parent_id)
        if parent is None or parent.thread_id != thread.id:
            raise InvalidInput(errors={"parent_id": [_("Reply to a post of this thread.")]})
    post = _add_post(ctx, space, thread, body=body, links=cleaned_links, parent=parent, now=utcnow())
    _announce_post(ctx, space, thread, post, new_thread=False)
    db.session.commit()
    return post


def _add_post(
    ctx: LaunchContext,
    space: Space,
    thread: Thread,
    *,
    body: str,
    links: list[dict[str, str]],
    parent: Post | None,
    now: datetime,
) -> Post:
    post = Post(
        thread_id=thread.id,
        match_id=thread.match_id,
        parent_id=parent.id if parent else None,
        author_user_id=ctx.user_id,
        body=body,
        body_html=usertext.render_markdown(body),
        links=links,
        mentions=resolve_mentions(space, body, ctx.user_id),
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    thread.post_count += 1
    thread.last_post_at = now
    thread.last_post_id = post.id
    mark_thread_read(ctx.user_id, thread.id, post.id)
    if thread.match_id is not None:
        emit(
            DomainEvent(
                "message.sent",
                space.programme.id,
                match_id=thread.match_id,
                participant_id=participant_id(space.programme.id, ctx.user_id),
                actor_user_id=ctx.user_id,
                data={"count": 1, "channel": "post", "post_id": post.id},
            )
        )
    return post


def _thread_link(thread: Thread, post: Post | None = None) -> str:
    anchor = f"#post-{post.id}" if post else ""
    return f"/threads/{thread.id}{anchor}"


def _announce_post(ctx: LaunchContext, space: Space, thread: Thread, post: Post, *, new_thread: bool) -> None:
    """Notify who should hear about a new post: mentioned people first, then the usual audience."""
    author = db.session.get(User, ctx.user_id)
    who = author.display_name if author else _l("Someone")
    link = _thread_link(thread, post)
    excerpt = usertext.excerpt(post.body, 400)
    notified: set[int] = {ctx.user_id}
    for user_id in post.mentions:
        notifications.notify(
            user_id,
            "mention",
            _l("%(who)s mentioned you in “%(title)s”", who=who, title=thread.title),
            excerpt,
            html=post.body_html,
            link=link,
            reply_to=thread_reply_address(user_id, thread),
        )
        notified.add(user_id)
    if space.match is not None:
        audience = list(space.member_user_ids)
    elif thread.kind is ThreadKind.ANNOUNCEMENT and new_thread:
        # Announcements reach the whole cohort: fan out in a job, not in the request.
        enqueue(ANNOUNCE_TASK, {"thread_id": thread.id, "post_id": post.id, "skip": sorted(notified)})
        return
    elif new_thread:
        audience = _programme_user_ids(space.programme.id, roles=(ParticipantRole.COORDINATOR,))
    else:
        audience = _thread_participants(thread.id)
    subject = (
        _l("%(who)s started “%(title)s”", who=who, title=thread.title)
        if new_thread
        else _l("%(who)s replied in “%(title)s”", who=who, title=thread.title)
    )
    for user_id in audience:
        if user_id not in notified:
            notifications.notify(
                user_id,
                "post",
                subject,
                excerpt,
                html=post.body_html,
                link=link,
                reply_to=thread_reply_address(user_id, thread),
            )
            notified.add(user_id)


def _programme_user_ids(programme_id: int, roles: Sequence[ParticipantRole] | None = None) -> list[int]:
    query = sa.select(Participant.user_id).where(
        Participant.programme_id == programme_id, Participant.status != ParticipantStatus.WITHDRAWN
    )
    if roles:
        query = query.where(Participant.role.in_(list(roles)))
    return list(db.session.execute(query.order_by(Participant.user_id)).scalars())


def _thread_participants(thread_id: int) -> list[int]:
    return [
        uid
        for uid in db.session.execute(
            sa.select(Post.author_user_id).where(Post.thread_id == thread_id).distinct()
        ).scalars()
        if uid is not None
    ]


def fan_out_announcement(payload: dict[str, Any]) -> None:
    thread = db.session.get(Thread, payload["thread_id"])
    post = db.session.get(Post, payload["post_id"])
    if thread is None or post is None or post.deleted_at is not None:
        return
    author = db.session.get(User, thread.author_user_id) if thread.author_user_id else None
    subject = _l("Announcement: %(title)s", title=thread.title)
    if author:
        subject = _l("%(who)s announced “%(title)s”", who=author.display_name, title=thread.title)
    skip = set(payload.get("skip", []))
    for user_id in _programme_user_ids(thread.programme_id):
        if user_id not in skip:
            notifications.notify(
                user_id,
                "announcement",
                subject,
                usertext.excerpt(post.body, 400),
                html=post.body_html,
                link=_thread_link(thread, post),
            )


def _get_post(ctx: LaunchContext, post_id: int) -> tuple[Post, Thread, Space]:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(_("This post does not exist."))
    thread, space = get_thread(ctx, post.thread_id)
    return post, thread, space


def edit_post(
    ctx: LaunchContext, post_id: int, *, body: str, links: Sequence[dict[str, Any]] | None = None
) -> Post:
    """Change one's own post; the previous version stays visible in its history."""
    post, _thread, space = _get_post(ctx, post_id)
    require_write(space)
    if post.author_user_id != ctx.user_id:
        raise Forbidden(_("Only the author can edit a post. Reply instead."))
    if post.deleted_at is not None:
        raise Conflict(_("This post was deleted and cannot be edited."))
    body = clean_body(body, POST_MAX)
    cleaned_links = clean_links(links) if links is not None else post.links
    if body == post.body and cleaned_links == post.links:
        return post
    now = utcnow()
    db.session.add(
        PostRevision(
            post_id=post.id,
            body=post.body,
            body_html=post.body_html,
            links=post.links,
            written_at=post.edited_at or post.created_at,
            replaced_at=now,
            editor_user_id=ctx.user_id,
        )
    )
    post.body = body
    post.body_html = usertext.render_markdown(body)
    post.links = cleaned_links
    post.edited_at = now
    post.edit_count += 1
    post.mentions = resolve_mentions(space, body, ctx.user_id)
    db.session.commit()
    return post


def delete_post(ctx: LaunchContext, post_id: int) -> Post:
    """Delete a post, leaving a tombstone: the author, or a coordinator moderating."""
    post, _thread, space = _get_post(ctx, post_id)
    if post.author_user_id != ctx.user_id and not ctx.is_coordinator:
        raise Forbidden(_("Only the author or a coordinator can delete a post."))
    if post.author_user_id == ctx.user_id:
        require_write(space)
    if post.deleted_at is not None:
        return post
    post.body = ""
    post.body_html = ""
    post.links = []
    post.mentions = []
    post.deleted_at = utcnow()
    post.deleted_by_user_id = ctx.user_id
    # The earlier versions go too: deleting means the words are gone.
    db.session.execute(sa.delete(PostRevision).where(PostRevision.post_id == post.id))
    db.session.commit()
    return post


def post_revisions(ctx: LaunchContext, post_id: int) -> tuple[Post, list[PostRevision]]:
    post, _thread, _space = _get_post(ctx, post_id)
    revisions = list(
        db.session.execute(
            sa.select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())
        ).scalars()
    )
    return post, revisions


@dataclass
class ThreadSummary:
    thread: Thread
    unread: int
    is_new: bool


def list_threads(
    ctx: LaunchContext,
    space: Space,
    *,
    before: tuple[datetime, int] | None = None,
    limit: int = THREADS_PAGE_SIZE,
    previous_visit: datetime | None = None,
) -> tuple[list[ThreadSummary], tuple[datetime, int] | None]:
    """A page of the space's threads, most recently active first (keyset on activity, id)."""
    query = sa.select(Thread).where(Thread.programme_id == space.programme.id)
    query = query.where(Thread.match_id == space.match_id if space.match else Thread.match_id.is_(None))
    if before is not None:
        query = query.where(sa.tuple_(Thread.last_post_at, Thread.id) < sa.tuple_(*before))
    threads = list(
        db.session.execute(
            query.order_by(Thread.last_post_at.desc(), Thread.id.desc()).limit(limit + 1)
        ).scalars()
    )
    more = len(threads) > limit
    threads = threads[:limit]
    unread = unread_by_thread(ctx.user_id, [t.id for t in threads])
    summaries = [
        ThreadSummary(
            thread=t,
            unread=unread.get(t.id, 0),
            is_new=previous_visit is not None and t.last_post_at > previous_visit,
        )
        for t in threads
    ]
    cursor = (threads[-1].last_post_at, threads[-1].id) if more and threads else None
    return summaries, cursor


def thread_posts(
    ctx: LaunchContext, thread_id: int, *, after_id: int | None = None, limit: int = POSTS_PAGE_SIZE
) -> dict[str, Any]:
    """A page of a thread's posts in order, with authors; reading it moves the read marker."""
    thread, space = get_thread(ctx, thread_id)
    query = sa.select(Post).where(Post.thread_id == thread.id)
    if after_id is not None:
        query = query.where(Post.id > after_id)
    posts = list(db.session.execute(query.order_by(Post.id).limit(limit + 1)).scalars())
    more = len(posts) > limit
    posts = posts[:limit]
    marker = (
        db.session.execute(
            sa.select(ThreadRead.last_read_post_id).where(
                ThreadRead.user_id == ctx.user_id, ThreadRead.thread_id == thread.id
            )
        ).scalar_one_or_none()
        or 0
    )
    if posts and (space.is_member or space.is_forum):
        mark_thread_read(ctx.user_id, thread.id, posts[-1].id)
    commit_read_state()
    authors = users_by_id([p.author_user_id for p in posts] + [p.deleted_by_user_id for p in posts])
    return {
        "thread": thread,
        "space": space,
        "posts": posts,
        "authors": authors,
        "read_marker": marker,
        "next_after": posts[-1].id if more and posts else None,
    }
