"""The relationship space's JSON API under ``/api``: match spaces, the forum, threads, chat and history.

Every answer is dumped through its schema in ``schemas`` (the API's contract); the pages beside it
are in ``views``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask import Response as WebResponse

from lti_tool.api.spec import Response, document
from lti_tool.identity.session import current_context, login_required
from lti_tool.mentoring.conversations import chat, history, schemas, spaces, threads
from lti_tool.mentoring.conversations.overview import space_overview
from lti_tool.mentoring.conversations.views import cursor_text, history_filters, me, thread_cursor
from lti_tool.ratelimit import limit

bp = Blueprint("conversations_api", __name__)

TAGS = ("conversations",)
MEMBERS = "The match's mentor and mentees, and the programme's coordinators (who read but do not write)."
_threads_query = schemas.ConversationsThreadsQuery()
_thread_query = schemas.ConversationsThreadQuery()
_chat_poll_query = schemas.ConversationsChatPollQuery()
_chat_older_query = schemas.ConversationsChatOlderQuery()
_new_thread_in = schemas.ConversationsNewThreadIn()
_reply_in = schemas.ConversationsReplyIn()
_edit_in = schemas.ConversationsEditIn()
_chat_in = schemas.ConversationsChatIn()
_spaces_out = schemas.ConversationsSpacesOut()
_match_space_out = schemas.ConversationsMatchSpaceOut()
_forum_out = schemas.ConversationsForumOut()
_thread_out = schemas.ConversationsThreadOut()
_thread_page_out = schemas.ConversationsThreadPageOut()
_post_out = schemas.ConversationsPostOut()
_revisions_out = schemas.ConversationsRevisionsOut()
_chat_message_out = schemas.ConversationsChatMessageOut()
_chat_changes_out = schemas.ConversationsChatChangesOut()
_chat_older_out = schemas.ConversationsChatOlderOut()
_history_out = schemas.ConversationsHistoryPageOut()
_export_out = schemas.ConversationsHistoryExportOut()


def _overview(overview: dict[str, Any]) -> dict[str, Any]:
    """What a space's schema reads (``ConversationsMatchSpaceOut`` or ``ConversationsForumOut``)."""
    space: spaces.Space = overview["space"]
    people = overview["people"]
    body: dict[str, Any] = {
        "space": space.key,
        "programme_id": space.programme.id,
        "match_id": space.match_id,
        "can_write": space.can_write,
        "read_only_reason": space.read_only_reason,
        "coordinators_can_read": True,
        "previous_visit_at": overview["previous_visit"],
        "threads": [schemas.thread_view(s.thread, people, s.unread, s.is_new) for s in overview["threads"]],
        "next_cursor": cursor_text(overview["next_cursor"]),
    }
    if space.match is not None:
        chat = overview["chat"]
        body["members"] = [schemas.person(u) for u in overview["members"]]
        body["chat"] = {
            "messages": [schemas.chat_view(m, people) for m in chat["messages"]],
            "cursor": chat["state"].cursor,
            "unread": overview["chat_unread"],
        }
    return body


def _json_body() -> Any:
    return request.get_json(silent=True) or {}


@bp.get("/api/spaces")
@document(
    "List my match spaces",
    description="The match spaces the caller belongs to (coordinators: every match of the programme).",
    tags=TAGS,
    responses={200: schemas.ConversationsSpacesOut},
)
@login_required
def api_spaces() -> dict[str, Any]:
    matches = spaces.my_spaces(current_context())
    return _spaces_out.dump(
        {
            "spaces": [
                {"match_id": m.id, "status": m.status.value, "url": f"/matches/{m.id}/space"} for m in matches
            ]
        }
    )


@bp.get("/api/matches/<int:match_id>/space")
@document(
    "Open a match space",
    description=MEMBERS + " Lists the threads a page at a time (keyset cursor) with the latest chat; "
    "reading it records the caller's visit.",
    tags=TAGS,
    query=schemas.ConversationsThreadsQuery,
    responses={200: schemas.ConversationsMatchSpaceOut},
    errors=(422,),
)
@login_required
def api_space(match_id: int) -> dict[str, Any]:
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    before = thread_cursor(_threads_query.load(request.args)["cursor"])
    return _match_space_out.dump(_overview(space_overview(ctx, space, before=before)))


@bp.post("/api/matches/<int:match_id>/threads")
@document(
    "Start a thread in a match space",
    description="The match's mentor and mentees, while the match is open for writing.",
    tags=TAGS,
    body=schemas.ConversationsNewThreadIn,
    responses={201: schemas.ConversationsThreadOut},
)
@login_required
@limit("posting", key=me)
def api_new_thread(match_id: int) -> tuple[dict[str, Any], int]:
    data = _new_thread_in.load(_json_body())
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    thread = threads.create_thread(ctx, space, title=data["title"], body=data["body"], links=data["links"])
    return _thread_out.dump(schemas.thread_view(thread, spaces.users_by_id([thread.author_user_id]))), 201


@bp.get("/api/forum")
@document(
    "Open the programme's forum",
    description="Everyone in the course's programme. Lists the threads a page at a time (keyset cursor).",
    tags=TAGS,
    query=schemas.ConversationsThreadsQuery,
    responses={200: schemas.ConversationsForumOut},
    errors=(404, 422),
)
@login_required
def api_forum() -> dict[str, Any]:
    ctx = current_context()
    space = spaces.forum_space(ctx)
    before = thread_cursor(_threads_query.load(request.args)["cursor"])
    return _forum_out.dump(_overview(space_overview(ctx, space, before=before)))


@bp.post("/api/forum/threads")
@document(
    "Start a thread in the programme's forum",
    description="Everyone in the course's programme.",
    tags=TAGS,
    body=schemas.ConversationsNewThreadIn,
    responses={201: schemas.ConversationsThreadOut},
    errors=(404,),
)
@login_required
@limit("posting", key=me)
def api_new_forum_thread() -> tuple[dict[str, Any], int]:
    data = _new_thread_in.load(_json_body())
    ctx = current_context()
    thread = threads.create_thread(
        ctx,
        spaces.forum_space(ctx),
        title=data["title"],
        body=data["body"],
        links=data["links"],
        kind=data["kind"],
    )
    return _thread_out.dump(schemas.thread_view(thread, spaces.users_by_id([thread.author_user_id]))), 201


@bp.get("/api/threads/<int:thread_id>")
@document(
    "Read a thread's posts",
    description="Whoever may read the thread's space. Posts come in order, a page at a time; reading "
    "moves the caller's read marker.",
    tags=TAGS,
    query=schemas.ConversationsThreadQuery,
    responses={200: schemas.ConversationsThreadPageOut},
    errors=(422,),
)
@login_required
def api_thread(thread_id: int) -> dict[str, Any]:
    after = _thread_query.load(request.args)["after"]
    page = threads.thread_posts(current_context(), thread_id, after_id=after)
    people = page["authors"]
    return _thread_page_out.dump(
        {
            "thread": schemas.thread_view(
                page["thread"], spaces.users_by_id([page["thread"].author_user_id])
            ),
            "posts": [schemas.post_view(p, people) for p in page["posts"]],
            "read_marker": page["read_marker"],
            "next_after": page["next_after"],
            "can_write": page["space"].can_write,
        }
    )


@bp.post("/api/threads/<int:thread_id>/posts")
@document(
    "Reply in a thread",
    description="Whoever may write in the thread's space.",
    tags=TAGS,
    body=schemas.ConversationsReplyIn,
    responses={201: schemas.ConversationsPostOut},
)
@login_required
@limit("posting", key=me)
def api_reply(thread_id: int) -> tuple[dict[str, Any], int]:
    data = _reply_in.load(_json_body())
    post = threads.reply(
        current_context(), thread_id, body=data["body"], links=data["links"], parent_id=data["parent_id"]
    )
    return _post_out.dump(schemas.post_view(post, spaces.users_by_id([post.author_user_id]))), 201


@bp.patch("/api/posts/<int:post_id>")
@document(
    "Edit a post",
    description="The post's author; the text before the edit is kept as a revision.",
    tags=TAGS,
    body=schemas.ConversationsEditIn,
    responses={200: schemas.ConversationsPostOut},
)
@login_required
@limit("posting", key=me)
def api_edit(post_id: int) -> dict[str, Any]:
    data = _edit_in.load(_json_body())
    post = threads.edit_post(current_context(), post_id, body=data["body"], links=data["links"])
    return _post_out.dump(schemas.post_view(post, spaces.users_by_id([post.author_user_id])))


@bp.delete("/api/posts/<int:post_id>")
@document(
    "Delete a post",
    description="The post's author or a coordinator. The post stays as a tombstone (no text) so "
    "replies keep their place; deleting it again answers the same.",
    tags=TAGS,
    responses={200: schemas.ConversationsPostOut},
)
@login_required
def api_delete(post_id: int) -> dict[str, Any]:
    post = threads.delete_post(current_context(), post_id)
    people = spaces.users_by_id([post.author_user_id, post.deleted_by_user_id])
    return _post_out.dump(schemas.post_view(post, people))


@bp.get("/api/posts/<int:post_id>/revisions")
@document(
    "List a post's earlier versions",
    description="Whoever may read the post's space.",
    tags=TAGS,
    responses={200: schemas.ConversationsRevisionsOut},
)
@login_required
def api_revisions(post_id: int) -> dict[str, Any]:
    post, revisions = threads.post_revisions(current_context(), post_id)
    return _revisions_out.dump(
        {"post": schemas.post_view(post, spaces.users_by_id([post.author_user_id])), "revisions": revisions}
    )


@bp.get("/api/matches/<int:match_id>/chat")
@document(
    "Wait for new chat messages (long poll)",
    description=MEMBERS + " Answers what changed after `since` (new messages, ids deleted), holding "
    "the request up to `wait` seconds until something does; with `If-None-Match` (the last ETag) it "
    "answers 304 when nothing changed by then, otherwise 200, possibly with no messages. Reading marks "
    "the messages read.",
    tags=TAGS,
    query=schemas.ConversationsChatPollQuery,
    responses={
        200: Response(
            "What changed in the chat.",
            schema=schemas.ConversationsChatChangesOut,
            headers={"ETag": "The chat's state; send it back as If-None-Match."},
        ),
        304: Response(
            "Nothing changed since the ETag sent in If-None-Match.", headers={"ETag": "The chat's state."}
        ),
    },
    errors=(422,),
)
@login_required
def api_chat(match_id: int) -> WebResponse:
    """Long polling: ``since`` is the cursor of the last answer; ``wait`` seconds to hold for news.

    Answers 304 when ``If-None-Match`` still matches after the wait, so proxies and LMS frames that
    buffer or cut long requests degrade to plain polling without losing anything.
    """
    args = _chat_poll_query.load(request.args)
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    since = chat.parse_cursor(args["since"])
    known = request.headers.get("If-None-Match")
    state, changed = chat.wait_for_chat(
        match_id,
        since,
        known,
        args["wait"],
        check_interval=current_app.config["CHAT_CHECK_INTERVAL_SECONDS"],
        max_wait=current_app.config["CHAT_MAX_WAIT_SECONDS"],
    )
    if not changed and known is not None:
        response = WebResponse(status=304)
    else:
        result = chat.chat_changes(ctx, space, since)
        state = result["state"]
        response = jsonify(
            _chat_changes_out.dump(
                {
                    "messages": [schemas.chat_view(m, result["authors"]) for m in result["messages"]],
                    "deleted": result["deleted"],
                    "cursor": state.cursor,
                }
            )
        )
    response.headers["ETag"] = state.etag
    response.headers["Cache-Control"] = "no-cache, private"
    return response


@bp.get("/api/matches/<int:match_id>/chat/older")
@document(
    "Page back through a match's chat",
    description=MEMBERS + " Pages backwards with `before`: the messages older than the oldest you hold.",
    tags=TAGS,
    query=schemas.ConversationsChatOlderQuery,
    responses={200: schemas.ConversationsChatOlderOut},
    errors=(422,),
)
@login_required
def api_chat_older(match_id: int) -> dict[str, Any]:
    before = _chat_older_query.load(request.args)["before"]
    result = chat.chat_before(current_context(), match_id, before)
    return _chat_older_out.dump(
        {"messages": [schemas.chat_view(m, result["authors"]) for m in result["messages"]]}
    )


@bp.post("/api/matches/<int:match_id>/chat")
@document(
    "Send a chat message",
    description="The match's mentor and mentees, while the match is open for writing.",
    tags=TAGS,
    body=schemas.ConversationsChatIn,
    responses={201: schemas.ConversationsChatMessageOut},
)
@login_required
@limit("chat", key=me)
def api_send_chat(match_id: int) -> tuple[dict[str, Any], int]:
    data = _chat_in.load(_json_body())
    message = chat.send_chat(current_context(), match_id, data["body"])
    return _chat_message_out.dump(
        schemas.chat_view(message, spaces.users_by_id([message.author_user_id]))
    ), 201


@bp.delete("/api/chat/<int:message_id>")
@document(
    "Delete a chat message",
    description="The message's author or a coordinator. The message stays as a tombstone (no text, no "
    "author); deleting it again answers the same.",
    tags=TAGS,
    responses={200: schemas.ConversationsChatMessageOut},
)
@login_required
def api_delete_chat(message_id: int) -> dict[str, Any]:
    message = chat.delete_chat(current_context(), message_id)
    return _chat_message_out.dump(schemas.chat_view(message, {}))


@bp.get("/api/matches/<int:match_id>/history")
@document(
    "Read a match's history",
    description=MEMBERS + " One timeline of posts, chat, meetings, decisions and what other features "
    "add, newest first, filtered and paged with a keyset cursor (a page costs the same at any depth).",
    tags=TAGS,
    query=schemas.ConversationsHistoryQuery,
    responses={200: schemas.ConversationsHistoryPageOut},
    errors=(422,),
)
@login_required
def api_history(match_id: int) -> dict[str, Any]:
    _space, entries, cursor = history.timeline(current_context(), match_id, history_filters(request.args))
    people = spaces.users_by_id(e.actor_user_id for e in entries)
    return _history_out.dump(
        {
            "entries": [schemas.entry_view(e, people) for e in entries],
            "next_cursor": cursor,
            "kinds": history.known_kinds(),
        }
    )


def _export_json(match_id: int) -> dict[str, Any]:
    data = history.export(current_context(), match_id)
    space: spaces.Space = data["space"]
    people = data["people"]
    return _export_out.dump(
        {
            "match_id": match_id,
            "programme": space.programme.title,
            "members": [schemas.person(people[i]) for i in space.member_user_ids if i in people],
            "exported_at": data["exported_at"],
            "entries": [schemas.entry_view(e, people) for e in data["entries"]],
        }
    )


@bp.get("/api/matches/<int:match_id>/history/export.json")
@document(
    "Download a match's whole history",
    description=MEMBERS + " The whole timeline as one JSON file (an attachment), newest first.",
    tags=TAGS,
    responses={
        200: Response(
            "The match's history as a file to keep.",
            schema=schemas.ConversationsHistoryExportOut,
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="ritmo-match-<id>-history.json"'},
        )
    },
)
@login_required
def api_export(match_id: int) -> WebResponse:
    body = json.dumps(_export_json(match_id), ensure_ascii=False, indent=1)
    return WebResponse(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="ritmo-match-{match_id}-history.json"',
        },
    )
