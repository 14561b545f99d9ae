"""Shapes of the relationship space's API: what comes in (marshmallow) and what goes out."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from lti_tool.accounts.models import User
from lti_tool.mentoring.conversations import cleaning
from lti_tool.mentoring.conversations.history import HISTORY_PAGE_MAX, HISTORY_PAGE_SIZE
from lti_tool.mentoring.conversations.mentions import mention_handle
from lti_tool.mentoring.conversations.models import ChatMessage, Post, PostRevision, Thread, ThreadKind
from lti_tool.safety.urls import WebUrl


class LinkSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    url = WebUrl(required=True, max_length=cleaning.URL_MAX)
    title = fields.String(load_default="", validate=validate.Length(max=cleaning.TITLE_MAX))


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE

    # Limits are checked once more (and explained) by the service; these bound the parsing work.
    body = fields.String(required=True, validate=validate.Length(max=cleaning.POST_MAX * 2))
    links = fields.List(
        fields.Nested(LinkSchema), load_default=None, validate=validate.Length(max=cleaning.LINKS_MAX)
    )


class NewThreadSchema(_Body):
    title = fields.String(required=True, validate=validate.Length(max=cleaning.TITLE_MAX * 2))
    kind = fields.Enum(ThreadKind, by_value=True, load_default=None)


class ReplySchema(_Body):
    parent_id = fields.Integer(load_default=None)


class EditSchema(_Body):
    pass


class ChatSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    body = fields.String(required=True, validate=validate.Length(max=cleaning.CHAT_MAX * 2))


class ChatPollSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    since = fields.String(load_default=None, validate=validate.Length(max=64))
    wait = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=60))


class HistoryQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    kind = fields.List(fields.String(), load_default=None)
    since = fields.AwareDateTime(load_default=None, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, default_timezone=None)
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(
        load_default=HISTORY_PAGE_SIZE, validate=validate.Range(min=1, max=HISTORY_PAGE_MAX)
    )


def person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.display_name, "handle": mention_handle(user)} if user else None


def thread_json(
    thread: Thread, people: dict[int, User], unread: int = 0, is_new: bool = False
) -> dict[str, Any]:
    return {
        "id": thread.id,
        "kind": thread.kind.value,
        "title": thread.title,
        "author": person(people.get(thread.author_user_id or 0)),
        "created_at": thread.created_at.isoformat(),
        "last_post_at": thread.last_post_at.isoformat(),
        "post_count": thread.post_count,
        "unread": unread,
        "new_since_last_visit": is_new,
        "match_id": thread.match_id,
    }


def post_json(post: Post, people: dict[int, User]) -> dict[str, Any]:
    deleted = post.deleted_at is not None
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "parent_id": post.parent_id,
        "author": person(people.get(post.author_user_id or 0)),
        "body": None if deleted else post.body,
        "html": None if deleted else post.body_html,
        "links": post.links,
        "mentions": post.mentions,
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "edit_count": post.edit_count,
        "deleted": deleted,
        "deleted_at": post.deleted_at.isoformat() if post.deleted_at else None,
        "deleted_by": person(people.get(post.deleted_by_user_id or 0)) if deleted else None,
    }


def revision_json(revision: PostRevision) -> dict[str, Any]:
    return {
        "id": revision.id,
        "body": revision.body,
        "html": revision.body_html,
        "links": revision.links,
        "written_at": revision.written_at.isoformat(),
        "replaced_at": revision.replaced_at.isoformat(),
    }


def chat_json(message: ChatMessage, people: dict[int, User]) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "author": person(people.get(message.author_user_id or 0)),
        "body": None if deleted else message.body,
        "html": None if deleted else message.body_html,
        "created_at": message.created_at.isoformat(),
        "deleted": deleted,
    }
