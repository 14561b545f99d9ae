"""Shapes of the relationship space's API: what comes in and what goes out (marshmallow).

Views dump every answer through an ``*Out`` schema here, so the schemas are the API's contract (the
OpenAPI document is generated from them). The ``*_view`` helpers gather the values a schema reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from lti_tool.accounts.models import User
from lti_tool.mentoring.conversations import cleaning
from lti_tool.mentoring.conversations.history import HISTORY_PAGE_MAX, HISTORY_PAGE_SIZE, HistoryEntry
from lti_tool.mentoring.conversations.mentions import mention_handle
from lti_tool.mentoring.conversations.models import ChatMessage, Post, Thread, ThreadKind
from lti_tool.safety.urls import WebUrl
from lti_tool.web import MAX_ID, Text

#: Ids in queries and bodies: a bound keeps an absurd number from reaching the database.

# -- in ------------------------------------------------------------------------------------------


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class ConversationsLinkIn(_In):
    url = WebUrl(
        required=True,
        max_length=cleaning.URL_MAX,
        metadata={"type": "string", "description": "An http(s) address."},
    )
    title = Text(load_default="", validate=validate.Length(max=cleaning.TITLE_MAX))


class _Body(_In):
    # Limits are checked once more (and explained) by the service; these bound the parsing work.
    body = Text(
        required=True,
        validate=validate.Length(max=cleaning.POST_MAX * 2),
        metadata={"description": "Markdown; @handle mentions a member of the space."},
    )
    links = fields.List(
        fields.Nested(ConversationsLinkIn),
        load_default=None,
        validate=validate.Length(max=cleaning.LINKS_MAX),
        metadata={"description": "Links shown under the post; an edit replaces them."},
    )


class ConversationsNewThreadIn(_Body):
    title = Text(required=True, validate=validate.Length(max=cleaning.TITLE_MAX * 2))
    kind = fields.Enum(
        ThreadKind,
        by_value=True,
        load_default=None,
        metadata={"description": "The forum's kind of thread (ignored in a match space)."},
    )


class ConversationsReplyIn(_Body):
    parent_id = _id(load_default=None, allow_none=True, metadata={"description": "The post answered."})


class ConversationsEditIn(_Body):
    pass


class ConversationsChatIn(_In):
    body = Text(required=True, validate=validate.Length(max=cleaning.CHAT_MAX * 2))


class ConversationsThreadsQuery(_In):
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": "The `next_cursor` of the previous page: threads less recently active "
            "than the last one it listed. Omit it for the first page."
        },
    )


class ConversationsThreadQuery(_In):
    after = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={
            "description": "The `next_after` of the previous page: posts after that post id. Omit it "
            "for the first page."
        },
    )


class ConversationsChatPollQuery(_In):
    since = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": "The `cursor` of the previous answer: only messages sent and ids deleted "
            "since then come back. Omit it for the latest page."
        },
    )
    wait = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=60),
        metadata={
            "description": "Seconds to hold the request until something changes (long polling; "
            "the server may wait less). 0 answers at once."
        },
    )


class ConversationsChatOlderQuery(_In):
    before = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={
            "description": "The id of the oldest message you hold: up to 50 messages before it come "
            "back, oldest first. Fewer than 50 means the chat's beginning; 0 or no value answers none."
        },
    )


def _has_utc_time(value: datetime) -> None:
    """Refuse the calendar's first and last hours in zones where they have no UTC time."""
    try:
        value.astimezone(UTC)
    except OverflowError as error:
        raise ValidationError(_("Give a date between the years 2 and 9998.")) from error


class ConversationsHistoryQuery(_In):
    q = Text(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Text to search for in titles and texts."},
    )
    kind = fields.List(
        fields.String(validate=validate.Length(max=32)),
        load_default=None,
        metadata={"description": "Only entries of these kinds (repeat the parameter; see `kinds`)."},
    )
    since = fields.AwareDateTime(
        load_default=None,
        default_timezone=None,
        validate=_has_utc_time,
        metadata={"description": "Entries at or after."},
    )
    until = fields.AwareDateTime(
        load_default=None,
        default_timezone=None,
        validate=_has_utc_time,
        metadata={"description": "Entries before."},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={
            "description": "The `next_cursor` of the previous page, with the same filters: the "
            "entries older than its last one. Omit it for the newest page."
        },
    )
    limit = fields.Integer(
        load_default=HISTORY_PAGE_SIZE,
        validate=validate.Range(min=1, max=HISTORY_PAGE_MAX),
        metadata={"description": "Entries per page."},
    )


# -- out -----------------------------------------------------------------------------------------


class ConversationsPersonOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    handle = fields.String(required=True, metadata={"description": "What to write after @ to mention them."})


class ConversationsLinkOut(Schema):
    url = fields.String(required=True)
    title = fields.String(required=True)


def _person(**kwargs: Any) -> fields.Nested:
    return fields.Nested(ConversationsPersonOut, required=True, allow_none=True, **kwargs)


class ConversationsThreadOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.Enum(ThreadKind, by_value=True, required=True)
    title = fields.String(required=True)
    author = _person(metadata={"description": "Null once the author's account is erased."})
    created_at = fields.DateTime(required=True)
    last_post_at = fields.DateTime(required=True)
    post_count = fields.Integer(required=True)
    unread = fields.Integer(required=True, metadata={"description": "Posts the caller has not read."})
    new_since_last_visit = fields.Boolean(required=True)
    match_id = fields.Integer(required=True, allow_none=True, metadata={"description": "Null in the forum."})


class ConversationsPostOut(Schema):
    id = fields.Integer(required=True)
    thread_id = fields.Integer(required=True)
    parent_id = fields.Integer(required=True, allow_none=True)
    author = _person()
    body = fields.String(required=True, allow_none=True, metadata={"description": "Null once deleted."})
    html = fields.String(
        required=True, allow_none=True, metadata={"description": "The body rendered and sanitised."}
    )
    links = fields.List(fields.Nested(ConversationsLinkOut), required=True)
    mentions = fields.List(
        fields.Integer(), required=True, metadata={"description": "User ids of the people mentioned."}
    )
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(required=True, allow_none=True)
    edit_count = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    deleted_at = fields.DateTime(required=True, allow_none=True)
    deleted_by = _person()


class ConversationsRevisionOut(Schema):
    id = fields.Integer(required=True)
    body = fields.String(required=True)
    html = fields.String(required=True, attribute="body_html")
    links = fields.List(fields.Nested(ConversationsLinkOut), required=True)
    written_at = fields.DateTime(required=True)
    replaced_at = fields.DateTime(required=True)


class ConversationsRevisionsOut(Schema):
    post = fields.Nested(ConversationsPostOut, required=True)
    revisions = fields.List(
        fields.Nested(ConversationsRevisionOut), required=True, metadata={"description": "Oldest first."}
    )


class ConversationsChatMessageOut(Schema):
    id = fields.Integer(required=True)
    author = _person()
    body = fields.String(required=True, allow_none=True, metadata={"description": "Null once deleted."})
    html = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    deleted = fields.Boolean(required=True)


class ConversationsChatPageOut(Schema):
    messages = fields.List(
        fields.Nested(ConversationsChatMessageOut), required=True, metadata={"description": "Oldest first."}
    )
    cursor = fields.String(
        required=True, metadata={"description": "Pass as `since` to the chat's long poll for what follows."}
    )
    unread = fields.Integer(required=True)


class ConversationsChatChangesOut(Schema):
    messages = fields.List(
        fields.Nested(ConversationsChatMessageOut),
        required=True,
        metadata={"description": "Messages after `since` (the latest 50 without it), oldest first."},
    )
    deleted = fields.List(
        fields.Integer(), required=True, metadata={"description": "Ids of earlier messages deleted since."}
    )
    cursor = fields.String(required=True, metadata={"description": "Pass as `since` to the next poll."})


class ConversationsChatOlderOut(Schema):
    messages = fields.List(
        fields.Nested(ConversationsChatMessageOut),
        required=True,
        metadata={"description": "Oldest first; the next page is `before` the first one's id."},
    )


class ConversationsSpaceLinkOut(Schema):
    match_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "The match's status."})
    url = fields.String(required=True, metadata={"description": "The space's page."})


class ConversationsSpacesOut(Schema):
    spaces = fields.List(fields.Nested(ConversationsSpaceLinkOut), required=True)


class ConversationsForumOut(Schema):
    space = fields.String(required=True, metadata={"description": "The space's key."})
    programme_id = fields.Integer(required=True)
    match_id = fields.Integer(required=True, allow_none=True)
    can_write = fields.Boolean(required=True)
    read_only_reason = fields.String(required=True, allow_none=True)
    coordinators_can_read = fields.Boolean(required=True)
    previous_visit_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "The caller's visit before this one."}
    )
    threads = fields.List(
        fields.Nested(ConversationsThreadOut), required=True, metadata={"description": "Most active first."}
    )
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null at the end."},
    )


class ConversationsMatchSpaceOut(ConversationsForumOut):
    members = fields.List(fields.Nested(ConversationsPersonOut), required=True)
    chat = fields.Nested(ConversationsChatPageOut, required=True)


class ConversationsThreadPageOut(Schema):
    thread = fields.Nested(ConversationsThreadOut, required=True)
    posts = fields.List(fields.Nested(ConversationsPostOut), required=True)
    read_marker = fields.Integer(
        required=True, metadata={"description": "The last post id the caller had read before this page."}
    )
    next_after = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `after` for the next page; null at the end."},
    )
    can_write = fields.Boolean(required=True)


class ConversationsActorOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ConversationsHistoryEntryOut(Schema):
    at = fields.DateTime(required=True)
    kind = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "Unique in the match's history."})
    actor = fields.Nested(ConversationsActorOut, required=True, allow_none=True)
    title = fields.String(required=True)
    text = fields.String(required=True)
    html = fields.String(required=True, allow_none=True)
    link = fields.String(required=True, allow_none=True, metadata={"description": "Where it is in Ritmo."})
    data = fields.Dict(
        keys=fields.String(), required=True, metadata={"description": "Details that depend on the kind."}
    )


class ConversationsHistoryPageOut(Schema):
    entries = fields.List(
        fields.Nested(ConversationsHistoryEntryOut), required=True, metadata={"description": "Newest first."}
    )
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Pass as `cursor` (with the same filters) for older entries; null at the end."
        },
    )
    kinds = fields.List(
        fields.String(), required=True, metadata={"description": "Every kind `kind` accepts."}
    )


class ConversationsHistoryExportOut(Schema):
    match_id = fields.Integer(required=True)
    programme = fields.String(required=True, metadata={"description": "The programme's title."})
    members = fields.List(fields.Nested(ConversationsPersonOut), required=True)
    exported_at = fields.DateTime(required=True)
    entries = fields.List(
        fields.Nested(ConversationsHistoryEntryOut), required=True, metadata={"description": "Newest first."}
    )


# -- what the schemas read -----------------------------------------------------------------------


def person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.display_name, "handle": mention_handle(user)} if user else None


def thread_view(
    thread: Thread, people: dict[int, User], unread: int = 0, is_new: bool = False
) -> dict[str, Any]:
    return {
        "id": thread.id,
        "kind": thread.kind,
        "title": thread.title,
        "author": person(people.get(thread.author_user_id or 0)),
        "created_at": thread.created_at,
        "last_post_at": thread.last_post_at,
        "post_count": thread.post_count,
        "unread": unread,
        "new_since_last_visit": is_new,
        "match_id": thread.match_id,
    }


def post_view(post: Post, people: dict[int, User]) -> dict[str, Any]:
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
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "edit_count": post.edit_count,
        "deleted": deleted,
        "deleted_at": post.deleted_at,
        "deleted_by": person(people.get(post.deleted_by_user_id or 0)) if deleted else None,
    }


def chat_view(message: ChatMessage, people: dict[int, User]) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "author": person(people.get(message.author_user_id or 0)),
        "body": None if deleted else message.body,
        "html": None if deleted else message.body_html,
        "created_at": message.created_at,
        "deleted": deleted,
    }


def entry_view(entry: HistoryEntry, people: dict[int, Any]) -> dict[str, Any]:
    actor = people.get(entry.actor_user_id) if entry.actor_user_id else None
    return {
        "at": entry.at,
        "kind": entry.kind,
        "key": entry.key,
        "actor": {"id": actor.id, "name": actor.display_name} if actor else None,
        "title": entry.title,
        "text": entry.text,
        "html": entry.html,
        "link": entry.link,
        "data": entry.data,
    }
