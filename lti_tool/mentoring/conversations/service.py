"""Rules of the relationship space: who reads and writes where, threads, posts, chat, read state.

Two kinds of space share one set of rules:

* a **match space** (``match:<id>``): private to the match's mentor and mentees; the programme's
  coordinators can read it (and the page says so); written only by the members while the match is
  approved or active, read-only once it ended;
* the **programme forum** (``forum:<programme id>``): everyone in the programme reads it and asks
  questions; only coordinators announce.

Every function takes the caller's :class:`LaunchContext`, checks access first, and raises domain errors
before writing anything, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import aliased

from lti_tool import text as usertext
from lti_tool.accounts.models import User
from lti_tool.db import db, utcnow
from lti_tool.errors import Conflict, Forbidden, InvalidInput, NotFound
from lti_tool.events import DomainEvent, emit
from lti_tool.identity.context import LaunchContext
from lti_tool.jobs import enqueue, task
from lti_tool.mentoring.conversations.models import (
    ChatMessage,
    ChatRead,
    Post,
    PostRevision,
    SpaceVisit,
    Thread,
    ThreadKind,
    ThreadRead,
)
from lti_tool.mentoring.matching.models import Match, MatchMentee, MatchStatus
from lti_tool.mentoring.programmes.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Programme,
)
from lti_tool.mentoring.programmes.service import programme_for_course
from lti_tool.notifications import service as notifications
from lti_tool.safety.urls import UnsafeUrl, web_url

#: Matches in these states have a space people can write in.
OPEN_STATUSES = frozenset({MatchStatus.APPROVED, MatchStatus.ACTIVE})
#: An ended match keeps its space readable (history, export) but closed for writing.
READABLE_STATUSES = OPEN_STATUSES | {MatchStatus.ENDED}

TITLE_MAX = 200
POST_MAX = 20_000
CHAT_MAX = 2_000
LINKS_MAX = 10
URL_MAX = 2_048
THREADS_PAGE_SIZE = 20
POSTS_PAGE_SIZE = 50
CHAT_PAGE_SIZE = 50
#: A visit lasts while the person comes back within this gap; "new" is measured from the visit before.
VISIT_GAP = timedelta(minutes=30)
#: A visit's "last seen" is refreshed at most this often: reading a page should rarely write.
VISIT_TOUCH = timedelta(minutes=2)
#: Chat is e-mailed as one reminder per person after this quiet time, only if still unread then.
CHAT_EMAIL_DELAY = timedelta(minutes=10)
CHAT_EMAIL_TASK = "conversations.chat_reminder"
ANNOUNCE_TASK = "conversations.announce"


@dataclass
class Space:
    """A space as one caller sees it: what it is and what they may do there."""

    key: str
    programme: Programme
    match: Match | None
    member_user_ids: list[int] = field(default_factory=list)
    is_member: bool = False
    is_coordinator: bool = False
    can_write: bool = False
    read_only_reason: str | None = None

    @property
    def match_id(self) -> int | None:
        return self.match.id if self.match else None

    @property
    def is_forum(self) -> bool:
        return self.match is None


# -- access ----------------------------------------------------------------------------------------


def member_user_ids(match: Match) -> list[int]:
    """The users of the match's mentor and mentees (mentor first), in one query."""
    mentee_ids = sa.select(MatchMentee.mentee_id).where(MatchMentee.match_id == match.id)
    rows = db.session.execute(
        sa.select(Participant.id, Participant.user_id).where(
            sa.or_(Participant.id == match.mentor_id, Participant.id.in_(mentee_ids))
        )
    ).all()
    by_participant = dict(rows)
    mentor = by_participant.pop(match.mentor_id, None)
    return ([mentor] if mentor is not None else []) + sorted(by_participant.values())


def match_space(ctx: LaunchContext, match_id: int) -> Space:
    """The space of a match the caller belongs to or coordinates; 404 for anyone else."""
    row = db.session.execute(
        sa.select(Match, Programme)
        .join(Programme, Programme.id == Match.programme_id)
        .where(Match.id == match_id)
    ).first()
    match, programme = (row[0], row[1]) if row else (None, None)
    if (
        match is None
        or programme is None
        or programme.course_id != ctx.course_id
        or match.status not in READABLE_STATUSES
    ):
        raise NotFound(
            _("This match space does not exist, or it is not yours. Open your match from the programme home.")
        )
    members = member_user_ids(match)
    is_member = ctx.user_id in members
    if not is_member and not ctx.is_coordinator:
        raise NotFound(
            _("This match space does not exist, or it is not yours. Open your match from the programme home.")
        )
    space = Space(
        key=f"match:{match.id}",
        programme=programme,
        match=match,
        member_user_ids=members,
        is_member=is_member,
        is_coordinator=ctx.is_coordinator,
    )
    if match.status not in OPEN_STATUSES:
        space.read_only_reason = _(
            "This match has ended: its space stays readable but closed for new messages."
        )
    elif not is_member:
        space.read_only_reason = _(
            "Coordinators can read match spaces but only the match's members write in them."
        )
    else:
        space.can_write = True
    return space


def forum_space(ctx: LaunchContext) -> Space:
    """The programme forum of the caller's course."""
    if ctx.course_id is None:
        raise NotFound(_("Ritmo was opened outside a course. Open it from a course page."))
    programme = programme_for_course(ctx.course_id)
    participant = db.session.execute(
        sa.select(Participant).where(
            Participant.programme_id == programme.id, Participant.user_id == ctx.user_id
        )
    ).scalar_one_or_none()
    is_member = participant is not None and participant.status is not ParticipantStatus.WITHDRAWN
    if not is_member and not ctx.is_coordinator:
        raise Forbidden(_("You are not part of this programme. Open Ritmo from the course page first."))
    return Space(
        key=f"forum:{programme.id}",
        programme=programme,
        match=None,
        is_member=is_member,
        is_coordinator=ctx.is_coordinator,
        can_write=True,
    )


def _require_write(space: Space) -> None:
    if not space.can_write:
        raise Forbidden(space.read_only_reason or _("You cannot write in this space."))


def _space_of_thread(ctx: LaunchContext, thread: Thread) -> Space:
    if thread.match_id is not None:
        return match_space(ctx, thread.match_id)
    space = forum_space(ctx)
    if space.programme.id != thread.programme_id:
        raise NotFound(_("This thread does not exist in your programme."))
    return space


def get_thread(ctx: LaunchContext, thread_id: int) -> tuple[Thread, Space]:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(_("This thread does not exist or was removed."))
    return thread, _space_of_thread(ctx, thread)


# -- validation ------------------------------------------------------------------------------------


def _clean_body(body: str, limit: int, field_name: str = "body") -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput(errors={field_name: [_("Write something before sending.")]})
    if len(body) > limit:
        raise InvalidInput(
            errors={
                field_name: [
                    _(
                        "Keep it under %(limit)d characters (this has %(count)d).",
                        limit=limit,
                        count=len(body),
                    )
                ]
            }
        )
    return body


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(errors={"title": [_("Give the topic a title.")]})
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            errors={"title": [_("Keep the title under %(limit)d characters.", limit=TITLE_MAX)]}
        )
    return title


def clean_links(links: Sequence[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Links attached to a post: http(s) only, bounded in number and length."""
    cleaned: list[dict[str, str]] = []
    for index, link in enumerate(links or []):
        title = " ".join(str(link.get("title") or "").split())[:TITLE_MAX]
        try:
            url = web_url(str(link.get("url") or ""), max_length=URL_MAX)
        except UnsafeUrl as error:
            raise InvalidInput(
                errors={"links": {str(index): [_("Attach web addresses starting with https:// or http://.")]}}
            ) from error
        cleaned.append({"url": url, "title": title or urlsplit(url).hostname or url})
    if len(cleaned) > LINKS_MAX:
        raise InvalidInput(errors={"links": [_("Attach at most %(limit)d links.", limit=LINKS_MAX)]})
    return cleaned


# -- mentions and people ---------------------------------------------------------------------------


def users_by_id(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(wanted))).scalars()}


def _mention_candidates(space: Space) -> list[User]:
    if space.match is not None:
        return list(users_by_id(space.member_user_ids).values())
    return list(
        db.session.execute(
            sa.select(User)
            .join(Participant, Participant.user_id == User.id)
            .where(Participant.programme_id == space.programme.id)
        ).scalars()
    )


def resolve_mentions(space: Space, body: str, author_id: int) -> list[int]:
    """User ids of the people of this space that ``body`` mentions (never the author)."""
    handles = usertext.extract_mentions(body)
    if not handles:
        return []
    wanted = set(handles)
    found: list[int] = []
    for user in _mention_candidates(space):
        names = {usertext.handle_for(user.display_name)}
        if user.given_name:
            names.add(usertext.handle_for(user.given_name))
        if names & wanted and user.id != author_id and user.id not in found:
            found.append(user.id)
    return found


def mention_handle(user: User) -> str:
    return usertext.handle_for(user.display_name)


def _participant_id(programme_id: int, user_id: int) -> int | None:
    return db.session.execute(
        sa.select(Participant.id).where(
            Participant.programme_id == programme_id, Participant.user_id == user_id
        )
    ).scalar_one_or_none()


# -- threads and posts -----------------------------------------------------------------------------


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
    _require_write(space)
    if space.is_forum:
        kind = kind or ThreadKind.QUESTION
        if kind is ThreadKind.DISCUSSION:
            kind = ThreadKind.QUESTION
        if kind is ThreadKind.ANNOUNCEMENT and not space.is_coordinator:
            raise Forbidden(_("Only coordinators post announcements. Ask your question instead."))
    else:
        kind = ThreadKind.DISCUSSION
    title = _clean_title(title)
    body = _clean_body(body, POST_MAX)
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
    _require_write(space)
    body = _clean_body(body, POST_MAX)
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
    _mark_thread_read(ctx.user_id, thread.id, post.id)
    if thread.match_id is not None:
        emit(
            DomainEvent(
                "message.sent",
                space.programme.id,
                match_id=thread.match_id,
                participant_id=_participant_id(space.programme.id, ctx.user_id),
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
            notifications.notify(user_id, "post", subject, excerpt, html=post.body_html, link=link)
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


@task(ANNOUNCE_TASK)
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
    _require_write(space)
    if post.author_user_id != ctx.user_id:
        raise Forbidden(_("Only the author can edit a post. Reply instead."))
    if post.deleted_at is not None:
        raise Conflict(_("This post was deleted and cannot be edited."))
    body = _clean_body(body, POST_MAX)
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
        _require_write(space)
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


# -- reading -----------------------------------------------------------------------------------


def commit_read_state() -> None:
    """Commit read markers and visits without expiring what the page already loaded.

    The rows on the page are about to be shown; reloading each after the commit would cost one
    query per row (an N+1 the query-count tests guard against).
    """
    session = db.session()
    if not (session.new or session.dirty or session.deleted):
        return  # nothing changed: no commit round trip
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def record_visit(user_id: int, space_key: str, now: datetime | None = None) -> datetime | None:
    """Note a visit; returns when the previous visit started (None on a first visit)."""
    now = now or utcnow()
    visit = db.session.execute(
        sa.select(SpaceVisit).where(SpaceVisit.user_id == user_id, SpaceVisit.space_key == space_key)
    ).scalar_one_or_none()
    if visit is None:
        db.session.add(
            SpaceVisit(user_id=user_id, space_key=space_key, visit_started_at=now, last_seen_at=now)
        )
        return None
    if now - visit.last_seen_at > VISIT_GAP:
        visit.previous_visit_at = visit.visit_started_at
        visit.visit_started_at = now
    if now - visit.last_seen_at > VISIT_TOUCH:
        visit.last_seen_at = now
    return visit.previous_visit_at


def _mark_thread_read(user_id: int, thread_id: int, post_id: int) -> None:
    row = db.session.execute(
        sa.select(ThreadRead).where(ThreadRead.user_id == user_id, ThreadRead.thread_id == thread_id)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(ThreadRead(user_id=user_id, thread_id=thread_id, last_read_post_id=post_id))
    elif row.last_read_post_id < post_id:
        row.last_read_post_id = post_id


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


def unread_by_thread(user_id: int, thread_ids: list[int]) -> dict[int, int]:
    """Posts by others after the person's read marker, per thread, in one grouped query."""
    if not thread_ids:
        return {}
    marker = (
        sa.select(ThreadRead.last_read_post_id)
        .where(ThreadRead.user_id == user_id, ThreadRead.thread_id == Post.thread_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Post.thread_id, sa.func.count())
        .where(
            Post.thread_id.in_(thread_ids),
            Post.id > sa.func.coalesce(marker, 0),
            sa.or_(Post.author_user_id.is_(None), Post.author_user_id != user_id),
            Post.deleted_at.is_(None),
        )
        .group_by(Post.thread_id)
    ).all()
    return {thread_id: int(count) for thread_id, count in rows}


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
        _mark_thread_read(ctx.user_id, thread.id, posts[-1].id)
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


# -- chat ------------------------------------------------------------------------------------------


def send_chat(ctx: LaunchContext, match_id: int, body: str) -> ChatMessage:
    space = match_space(ctx, match_id)
    _require_write(space)
    body = _clean_body(body, CHAT_MAX)
    now = utcnow()
    message = ChatMessage(
        match_id=match_id,
        author_user_id=ctx.user_id,
        body=body,
        body_html=usertext.render_markdown(body),
        mentions=resolve_mentions(space, body, ctx.user_id),
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    _mark_chat_read(ctx.user_id, match_id, message.id)
    emit(
        DomainEvent(
            "message.sent",
            space.programme.id,
            match_id=match_id,
            participant_id=_participant_id(space.programme.id, ctx.user_id),
            actor_user_id=ctx.user_id,
            data={"count": 1, "channel": "chat", "message_id": message.id},
        )
    )
    window = int(now.timestamp() // CHAT_EMAIL_DELAY.total_seconds())
    for user_id in space.member_user_ids:
        if user_id == ctx.user_id:
            continue
        enqueue(
            CHAT_EMAIL_TASK,
            {"match_id": match_id, "user_id": user_id},
            run_at=now + CHAT_EMAIL_DELAY,
            dedupe_key=f"{CHAT_EMAIL_TASK}:{match_id}:{user_id}:{window}",
        )
    db.session.commit()
    return message


def _mark_chat_read(user_id: int, match_id: int, message_id: int) -> None:
    row = db.session.execute(
        sa.select(ChatRead).where(ChatRead.user_id == user_id, ChatRead.match_id == match_id)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(ChatRead(user_id=user_id, match_id=match_id, last_read_message_id=message_id))
    elif row.last_read_message_id < message_id:
        row.last_read_message_id = message_id


@task(CHAT_EMAIL_TASK)
def chat_reminder(payload: dict[str, Any]) -> None:
    """Tell a member about chat messages still unread after a quiet while (one notice per burst)."""
    match_id, user_id = int(payload["match_id"]), int(payload["user_id"])
    read = db.session.execute(
        sa.select(ChatRead).where(ChatRead.user_id == user_id, ChatRead.match_id == match_id)
    ).scalar_one_or_none()
    if read is None:
        read = ChatRead(user_id=user_id, match_id=match_id)
        db.session.add(read)
        db.session.flush()
    floor = max(read.last_read_message_id, read.last_notified_message_id)
    unread = list(
        db.session.execute(
            sa.select(ChatMessage)
            .where(
                ChatMessage.match_id == match_id,
                ChatMessage.id > floor,
                ChatMessage.author_user_id != user_id,
                ChatMessage.deleted_at.is_(None),
            )
            .order_by(ChatMessage.id)
        ).scalars()
    )
    if not unread:
        return
    authors = users_by_id(m.author_user_id for m in unread)
    names = sorted({authors[m.author_user_id].display_name for m in unread if m.author_user_id in authors})
    lines = [f"{_name(authors, m.author_user_id)}: {usertext.excerpt(m.body, 200)}" for m in unread[-5:]]
    notifications.notify(
        user_id,
        "chat",
        lazy_ngettext(
            "%(num)d new chat message from %(names)s",
            "%(num)d new chat messages from %(names)s",
            len(unread),
            names=", ".join(names),
        )
        if len(unread) > 1
        else _l("New chat message from %(names)s", names=", ".join(names)),
        "\n".join(lines),
        link=f"/matches/{match_id}/space#chat",
    )
    read.last_notified_message_id = unread[-1].id


def _name(people: dict[int, User], user_id: int | None) -> str:
    user = people.get(user_id) if user_id is not None else None
    return user.display_name if user else "?"


def delete_chat(ctx: LaunchContext, message_id: int) -> ChatMessage:
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        raise NotFound(_("This message does not exist."))
    space = match_space(ctx, message.match_id)
    if message.author_user_id != ctx.user_id and not ctx.is_coordinator:
        raise Forbidden(_("Only the author or a coordinator can delete a message."))
    if message.deleted_at is None:
        message.body = ""
        message.body_html = ""
        message.mentions = []
        message.deleted_at = utcnow()
        db.session.commit()
    del space
    return message


@dataclass
class ChatState:
    """Where a chat stands: the newest message and the newest deletion, as an ETag and a cursor."""

    last_id: int
    last_deleted_ms: int

    @property
    def etag(self) -> str:
        return f'"chat-{self.last_id}-{self.last_deleted_ms}"'

    @property
    def cursor(self) -> str:
        return f"{self.last_id}-{self.last_deleted_ms}"


def parse_cursor(cursor: str | None) -> ChatState | None:
    if not cursor:
        return None
    try:
        last_id, _sep, deleted = cursor.partition("-")
        return ChatState(int(last_id), int(deleted or 0))
    except ValueError as error:
        raise InvalidInput(errors={"since": [_("Use the cursor the previous response gave.")]}) from error


def chat_state(match_id: int) -> ChatState:
    last_id, last_deleted = db.session.execute(
        sa.select(sa.func.max(ChatMessage.id), sa.func.max(ChatMessage.deleted_at)).where(
            ChatMessage.match_id == match_id
        )
    ).one()
    return ChatState(int(last_id or 0), _ms(last_deleted))


def _ms(value: datetime | str | None) -> int:
    """Milliseconds since the epoch of a timestamp from an aggregate (naive or text on SQLite)."""
    if value is None:
        return 0
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def chat_changes(
    ctx: LaunchContext, space: Space, since: ChatState | None, *, load_authors: bool = True
) -> dict[str, Any]:
    """Messages after the cursor (or the latest page) and ids deleted since; marks them read.

    ``unread`` counts the messages of this answer the person had not read before it.
    """
    assert space.match is not None
    match_id = space.match.id
    query = sa.select(ChatMessage).where(ChatMessage.match_id == match_id)
    deleted: list[int] = []
    if since is None:
        # The latest page and the newest deletion in one round trip: together they are the state.
        other = aliased(ChatMessage)
        newest_deletion = (
            sa.select(sa.func.max(other.deleted_at)).where(other.match_id == match_id).scalar_subquery()
        )
        rows = db.session.execute(
            sa.select(ChatMessage, newest_deletion)
            .where(ChatMessage.match_id == match_id)
            .order_by(ChatMessage.id.desc())
            .limit(CHAT_PAGE_SIZE)
        ).all()
        messages = [r[0] for r in reversed(rows)]
        state = ChatState(messages[-1].id if messages else 0, _ms(rows[0][1]) if rows else 0)
    else:
        state = chat_state(match_id)
        messages = list(
            db.session.execute(
                query.where(ChatMessage.id > since.last_id).order_by(ChatMessage.id).limit(CHAT_PAGE_SIZE * 4)
            ).scalars()
        )
        if state.last_deleted_ms > since.last_deleted_ms:
            after = datetime.fromtimestamp(since.last_deleted_ms / 1000, tz=UTC)
            deleted = list(
                db.session.execute(
                    sa.select(ChatMessage.id).where(
                        ChatMessage.match_id == match_id,
                        ChatMessage.deleted_at > after,
                        ChatMessage.id <= since.last_id,
                    )
                ).scalars()
            )
        if messages and messages[-1].id < state.last_id:
            # More than one page arrived at once: the next poll continues from here.
            state = ChatState(messages[-1].id, since.last_deleted_ms)
    unread = 0
    if space.is_member:
        read = db.session.execute(
            sa.select(ChatRead).where(ChatRead.user_id == ctx.user_id, ChatRead.match_id == match_id)
        ).scalar_one_or_none()
        marker = read.last_read_message_id if read else 0
        unread = sum(
            1 for m in messages if m.id > marker and m.author_user_id != ctx.user_id and not m.deleted_at
        )
        if messages and marker < messages[-1].id:
            if read is None:
                db.session.add(
                    ChatRead(user_id=ctx.user_id, match_id=match_id, last_read_message_id=messages[-1].id)
                )
            else:
                read.last_read_message_id = messages[-1].id
            commit_read_state()
    return {
        "messages": messages,
        "deleted": deleted,
        "state": state,
        "unread": unread,
        "authors": users_by_id(m.author_user_id for m in messages) if load_authors else {},
    }


def chat_before(
    ctx: LaunchContext, match_id: int, before_id: int, limit: int = CHAT_PAGE_SIZE
) -> dict[str, Any]:
    """Older chat messages, for scrolling back."""
    match_space(ctx, match_id)
    messages = list(
        reversed(
            list(
                db.session.execute(
                    sa.select(ChatMessage)
                    .where(ChatMessage.match_id == match_id, ChatMessage.id < before_id)
                    .order_by(ChatMessage.id.desc())
                    .limit(limit)
                ).scalars()
            )
        )
    )
    return {"messages": messages, "authors": users_by_id(m.author_user_id for m in messages)}


def chat_unread(user_id: int, match_id: int) -> int:
    marker = (
        db.session.execute(
            sa.select(ChatRead.last_read_message_id).where(
                ChatRead.user_id == user_id, ChatRead.match_id == match_id
            )
        ).scalar_one_or_none()
        or 0
    )
    return int(
        db.session.execute(
            sa.select(sa.func.count()).where(
                ChatMessage.match_id == match_id,
                ChatMessage.id > marker,
                ChatMessage.author_user_id != user_id,
                ChatMessage.deleted_at.is_(None),
            )
        ).scalar_one()
    )


# -- the space page --------------------------------------------------------------------------------


def space_overview(
    ctx: LaunchContext, space: Space, *, before: tuple[datetime, int] | None = None
) -> dict[str, Any]:
    """Everything the first screen of a space shows, in a fixed, small number of queries."""
    previous_visit = record_visit(ctx.user_id, space.key) if (space.is_member or space.is_forum) else None
    threads, cursor = list_threads(ctx, space, before=before, previous_visit=previous_visit)
    overview: dict[str, Any] = {
        "space": space,
        "threads": threads,
        "next_cursor": cursor,
        "previous_visit": previous_visit,
    }
    people_ids: list[int | None] = [s.thread.author_user_id for s in threads]
    if space.match is not None:
        chat = chat_changes(ctx, space, None, load_authors=False)
        overview["chat"] = chat
        overview["chat_unread"] = chat["unread"]
        people_ids += space.member_user_ids
        people_ids += [m.author_user_id for m in chat["messages"]]
    people = users_by_id(people_ids)
    overview["people"] = people
    overview["members"] = [people[i] for i in space.member_user_ids if i in people]
    commit_read_state()
    return overview


def my_spaces(ctx: LaunchContext) -> list[Match]:
    """The matches whose space the caller may open: their own, or all of the course's for coordinators."""
    if ctx.course_id is None:
        return []
    programme = programme_for_course(ctx.course_id)
    query = sa.select(Match).where(
        Match.programme_id == programme.id, Match.status.in_(list(READABLE_STATUSES))
    )
    if not ctx.is_coordinator:
        mine = sa.select(Participant.id).where(
            Participant.programme_id == programme.id, Participant.user_id == ctx.user_id
        )
        query = query.where(
            sa.or_(
                Match.mentor_id.in_(mine),
                Match.id.in_(sa.select(MatchMentee.match_id).where(MatchMentee.mentee_id.in_(mine))),
            )
        )
    return list(db.session.execute(query.order_by(Match.id)).scalars())


def wait_for_chat(
    match_id: int,
    since: ChatState | None,
    known_etag: str | None,
    wait_seconds: float,
    *,
    check_interval: float,
    max_wait: float,
) -> tuple[ChatState, bool]:
    """Wait until the chat differs from what the caller has (cursor or ETag), or time runs out
    (``max_wait`` at most), looking every ``check_interval`` seconds.

    Returns the state and whether it changed. Between checks the connection goes back to the pool,
    so a waiting poll holds no database resources.
    """
    import time

    deadline = time.monotonic() + min(max(wait_seconds, 0.0), max_wait)
    while True:
        state = chat_state(match_id)
        if known_etag is not None:
            changed = state.etag != known_etag
        else:
            changed = since is None or (state.last_id, state.last_deleted_ms) != (
                since.last_id,
                since.last_deleted_ms,
            )
        if changed or time.monotonic() >= deadline:
            return state, changed
        db.session.rollback()
        time.sleep(min(check_interval, max(0.0, deadline - time.monotonic())))
