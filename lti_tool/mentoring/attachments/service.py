"""Attaching files to posts, and who may download them.

A post's author attaches files to their own post in a match space, with the checks content uploads
have (size, the type named by the extension and confirmed by the first bytes, a random stored name
in a private folder). Only the match's members download them: a coordinator reads the thread but
does not get the files, as with the meeting room. Files whose row is gone (the person erased, the
match or thread deleted) are removed by an hourly sweep.
"""

from __future__ import annotations

import time
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _

from lti_tool.db import db
from lti_tool.errors import Conflict, Forbidden, NotFound
from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.attachments.models import PostAttachment
from lti_tool.mentoring.content import uploads
from lti_tool.mentoring.conversations import spaces
from lti_tool.mentoring.conversations.models import Post

FOLDER = "attachments"  # in DATA_DIR, beside content uploads
#: Files one post may carry.
MAX_PER_POST = 5
SWEEP_TASK = "attachments.sweep"
#: A file younger than this may belong to an upload still being committed: the sweep leaves it.
SWEEP_GRACE_SECONDS = 3600


def _not_found() -> NotFound:
    return NotFound(_("This file does not exist, or it is not yours to open."))


def attach(ctx: LaunchContext, post_id: int, stream: IO[bytes], given_name: str) -> PostAttachment:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(_("This post does not exist."))
    _thread, space = spaces.get_thread(ctx, post.thread_id)
    if space.match is None:
        raise Forbidden(_("Files can be attached to posts in a match space only."))
    spaces.require_write(space)
    if post.author_user_id != ctx.user_id:
        raise Forbidden(_("Only the author attaches files to a post."))
    if post.deleted_at is not None:
        raise Conflict(_("This post was deleted."))
    count = db.session.execute(
        sa.select(sa.func.count(PostAttachment.id)).where(PostAttachment.post_id == post.id)
    ).scalar_one()
    if count >= MAX_PER_POST:
        raise Conflict(_("A post can carry at most %(count)d files.", count=MAX_PER_POST))
    stored = uploads.store(stream, given_name, FOLDER)
    row = PostAttachment(
        post_id=post.id,
        thread_id=post.thread_id,
        match_id=space.match.id,
        uploader_user_id=ctx.user_id,
        storage_name=stored.storage_name,
        file_name=stored.file_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.delete(stored.storage_name, FOLDER)
        raise
    return row


def for_download(ctx: LaunchContext, attachment_id: int) -> PostAttachment:
    """The attachment, for a member of its match only (404 for anyone else, as for the space)."""
    row = db.session.get(PostAttachment, attachment_id)
    if row is None:
        raise _not_found()
    post = db.session.get(Post, row.post_id)
    _thread, space = spaces.get_thread(ctx, row.thread_id)
    if not space.is_member or post is None or post.deleted_at is not None:
        raise _not_found()
    return row


def remove(ctx: LaunchContext, attachment_id: int) -> PostAttachment:
    row = for_download(ctx, attachment_id)
    if row.uploader_user_id != ctx.user_id:
        raise Forbidden(_("Only the person who attached a file removes it."))
    db.session.delete(row)
    db.session.commit()
    uploads.delete(row.storage_name, FOLDER)
    return row


def of_thread(thread_id: int) -> dict[int, list[PostAttachment]]:
    """A thread's attachments by post, loaded once per request (the thread page lists every post's)."""
    cache: dict[int, dict[int, list[PostAttachment]]] = g.setdefault("post_attachments", {})
    if thread_id not in cache:
        by_post: dict[int, list[PostAttachment]] = {}
        rows = db.session.execute(
            sa.select(PostAttachment)
            .where(PostAttachment.thread_id == thread_id)
            .order_by(PostAttachment.post_id, PostAttachment.id)
        ).scalars()
        for row in rows:
            by_post.setdefault(row.post_id, []).append(row)
        cache[thread_id] = by_post
    return cache[thread_id]


def of_post(post: Post) -> list[PostAttachment]:
    return of_thread(post.thread_id).get(post.id, [])


def _stored_names() -> set[str]:
    return set(db.session.execute(sa.select(PostAttachment.storage_name)).scalars())


def sweep_task(_payload: dict[str, Any]) -> None:
    sweep()


def sweep() -> int:
    """Delete stored files no row names any more (older than the grace period)."""
    known = _stored_names()
    folder = uploads.upload_dir(FOLDER)
    cutoff = time.time() - SWEEP_GRACE_SECONDS
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.name not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        current_app.logger.info("attachments: %d orphaned files removed", removed)
    return removed
