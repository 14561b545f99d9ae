"""Match spaces, the programme forum, chat and history: JSON API under ``/api`` and in-frame pages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from lti_tool.errors import InvalidInput
from lti_tool.identity.session import current_context, login_required
from lti_tool.mentoring.conversations import chat, history, schemas, spaces, threads
from lti_tool.mentoring.conversations.mentions import mention_handle
from lti_tool.mentoring.conversations.models import ThreadKind
from lti_tool.mentoring.conversations.overview import space_overview
from lti_tool.mentoring.meetings.access import upcoming
from lti_tool.ratelimit import limit
from lti_tool.web import back_to

bp = Blueprint("conversations", __name__)


def _me() -> str:
    return str(current_context().user_id)


def _thread_cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw:
        return None
    at, _sep, thread_id = raw.rpartition("_")
    try:
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, int(thread_id)
    except ValueError as error:
        raise InvalidInput(errors={"cursor": ["Use the cursor of the previous page."]}) from error


def _cursor_text(cursor: tuple[datetime, int] | None) -> str | None:
    return f"{cursor[0].isoformat()}_{cursor[1]}" if cursor else None


def _overview_json(overview: dict[str, Any]) -> dict[str, Any]:
    space: spaces.Space = overview["space"]
    people = overview["people"]
    body: dict[str, Any] = {
        "space": space.key,
        "programme_id": space.programme.id,
        "match_id": space.match_id,
        "can_write": space.can_write,
        "read_only_reason": space.read_only_reason,
        "coordinators_can_read": True,
        "previous_visit_at": overview["previous_visit"].isoformat() if overview["previous_visit"] else None,
        "threads": [schemas.thread_json(s.thread, people, s.unread, s.is_new) for s in overview["threads"]],
        "next_cursor": _cursor_text(overview["next_cursor"]),
    }
    if space.match is not None:
        chat = overview["chat"]
        body["members"] = [schemas.person(u) for u in overview["members"]]
        body["chat"] = {
            "messages": [schemas.chat_json(m, people) for m in chat["messages"]],
            "cursor": chat["state"].cursor,
            "unread": overview["chat_unread"],
        }
    return body


def _form_links(form: MultiDict[str, str]) -> list[dict[str, str]]:
    """Links typed one per line as ``https://address optional title``."""
    links = []
    for line in (form.get("links") or "").splitlines():
        url, _sep, title = line.strip().partition(" ")
        if url:
            links.append({"url": url, "title": title.strip()})
    return links


def _form_payload(form: MultiDict[str, str], *names: str) -> dict[str, Any]:
    payload: dict[str, Any] = {name: form[name] for name in names if form.get(name) not in (None, "")}
    payload["links"] = _form_links(form)
    return payload


# -- API -------------------------------------------------------------------------------------------


@bp.get("/api/spaces")
@login_required
def api_spaces() -> dict[str, Any]:
    matches = spaces.my_spaces(current_context())
    return {
        "spaces": [
            {"match_id": m.id, "status": m.status.value, "url": f"/matches/{m.id}/space"} for m in matches
        ]
    }


@bp.get("/api/matches/<int:match_id>/space")
@login_required
def api_space(match_id: int) -> dict[str, Any]:
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    overview = space_overview(ctx, space, before=_thread_cursor(request.args.get("cursor")))
    return _overview_json(overview)


@bp.post("/api/matches/<int:match_id>/threads")
@login_required
@limit("posting", key=_me)
def api_new_thread(match_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.NewThreadSchema().load(request.get_json(silent=True) or {})
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    thread = threads.create_thread(ctx, space, title=data["title"], body=data["body"], links=data["links"])
    return schemas.thread_json(thread, spaces.users_by_id([thread.author_user_id])), 201


@bp.get("/api/forum")
@login_required
def api_forum() -> dict[str, Any]:
    ctx = current_context()
    space = spaces.forum_space(ctx)
    return _overview_json(space_overview(ctx, space, before=_thread_cursor(request.args.get("cursor"))))


@bp.post("/api/forum/threads")
@login_required
@limit("posting", key=_me)
def api_new_forum_thread() -> tuple[dict[str, Any], int]:
    data = schemas.NewThreadSchema().load(request.get_json(silent=True) or {})
    ctx = current_context()
    thread = threads.create_thread(
        ctx,
        spaces.forum_space(ctx),
        title=data["title"],
        body=data["body"],
        links=data["links"],
        kind=data["kind"],
    )
    return schemas.thread_json(thread, spaces.users_by_id([thread.author_user_id])), 201


@bp.get("/api/threads/<int:thread_id>")
@login_required
def api_thread(thread_id: int) -> dict[str, Any]:
    after = request.args.get("after", type=int)
    page = threads.thread_posts(current_context(), thread_id, after_id=after)
    people = page["authors"]
    return {
        "thread": schemas.thread_json(page["thread"], spaces.users_by_id([page["thread"].author_user_id])),
        "posts": [schemas.post_json(p, people) for p in page["posts"]],
        "read_marker": page["read_marker"],
        "next_after": page["next_after"],
        "can_write": page["space"].can_write,
    }


@bp.post("/api/threads/<int:thread_id>/posts")
@login_required
@limit("posting", key=_me)
def api_reply(thread_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.ReplySchema().load(request.get_json(silent=True) or {})
    post = threads.reply(
        current_context(), thread_id, body=data["body"], links=data["links"], parent_id=data["parent_id"]
    )
    return schemas.post_json(post, spaces.users_by_id([post.author_user_id])), 201


@bp.patch("/api/posts/<int:post_id>")
@login_required
@limit("posting", key=_me)
def api_edit(post_id: int) -> dict[str, Any]:
    data = schemas.EditSchema().load(request.get_json(silent=True) or {})
    post = threads.edit_post(current_context(), post_id, body=data["body"], links=data["links"])
    return schemas.post_json(post, spaces.users_by_id([post.author_user_id]))


@bp.delete("/api/posts/<int:post_id>")
@login_required
def api_delete(post_id: int) -> dict[str, Any]:
    post = threads.delete_post(current_context(), post_id)
    return schemas.post_json(post, spaces.users_by_id([post.author_user_id, post.deleted_by_user_id]))


@bp.get("/api/posts/<int:post_id>/revisions")
@login_required
def api_revisions(post_id: int) -> dict[str, Any]:
    post, revisions = threads.post_revisions(current_context(), post_id)
    return {
        "post": schemas.post_json(post, spaces.users_by_id([post.author_user_id])),
        "revisions": [schemas.revision_json(r) for r in revisions],
    }


@bp.get("/api/matches/<int:match_id>/chat")
@login_required
def api_chat(match_id: int) -> Response:
    """Long polling: ``since`` is the cursor of the last answer; ``wait`` seconds to hold for news.

    Answers 304 when ``If-None-Match`` still matches after the wait, so proxies and LMS frames that
    buffer or cut long requests degrade to plain polling without losing anything.
    """
    args = schemas.ChatPollSchema().load(request.args)
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
        response = Response(status=304)
    else:
        result = chat.chat_changes(ctx, space, since)
        state = result["state"]
        response = jsonify(
            {
                "messages": [schemas.chat_json(m, result["authors"]) for m in result["messages"]],
                "deleted": result["deleted"],
                "cursor": state.cursor,
            }
        )
    response.headers["ETag"] = state.etag
    response.headers["Cache-Control"] = "no-cache, private"
    return response


@bp.get("/api/matches/<int:match_id>/chat/older")
@login_required
def api_chat_older(match_id: int) -> dict[str, Any]:
    before = request.args.get("before", type=int) or 0
    result = chat.chat_before(current_context(), match_id, before)
    return {"messages": [schemas.chat_json(m, result["authors"]) for m in result["messages"]]}


@bp.post("/api/matches/<int:match_id>/chat")
@login_required
@limit("chat", key=_me)
def api_send_chat(match_id: int) -> tuple[dict[str, Any], int]:
    data = schemas.ChatSchema().load(request.get_json(silent=True) or {})
    message = chat.send_chat(current_context(), match_id, data["body"])
    return schemas.chat_json(message, spaces.users_by_id([message.author_user_id])), 201


@bp.delete("/api/chat/<int:message_id>")
@login_required
def api_delete_chat(message_id: int) -> dict[str, Any]:
    message = chat.delete_chat(current_context(), message_id)
    return schemas.chat_json(message, {})


def _history_filters(args: MultiDict[str, str]) -> history.HistoryFilters:
    raw: dict[str, Any] = {k: v for k, v in args.to_dict().items() if v != "" and k != "rh"}
    kinds = [k for k in args.getlist("kind") if k]
    raw.pop("kind", None)
    if kinds:
        raw["kind"] = kinds
    data = schemas.HistoryQuerySchema().load(raw)
    return history.HistoryFilters(
        q=(data["q"] or "").strip() or None,
        kinds=frozenset(data["kind"]) if data["kind"] else None,
        since=data["since"],
        until=data["until"],
        before=history.decode_cursor(data["cursor"]),
        limit=data["limit"],
    )


@bp.get("/api/matches/<int:match_id>/history")
@login_required
def api_history(match_id: int) -> dict[str, Any]:
    _space, entries, cursor = history.timeline(current_context(), match_id, _history_filters(request.args))
    people = spaces.users_by_id(e.actor_user_id for e in entries)
    return {
        "entries": [history.entry_json(e, people) for e in entries],
        "next_cursor": cursor,
        "kinds": history.known_kinds(),
    }


def _export_json(match_id: int) -> dict[str, Any]:
    data = history.export(current_context(), match_id)
    space: spaces.Space = data["space"]
    people = data["people"]
    return {
        "match_id": match_id,
        "programme": space.programme.title,
        "members": [schemas.person(people[i]) for i in space.member_user_ids if i in people],
        "exported_at": data["exported_at"].isoformat(),
        "entries": [history.entry_json(e, people) for e in data["entries"]],
    }


@bp.get("/api/matches/<int:match_id>/history/export.json")
@login_required
def api_export(match_id: int) -> Response:
    body = json.dumps(_export_json(match_id), ensure_ascii=False, indent=1)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="ritmo-match-{match_id}-history.json"',
        },
    )


# -- pages -----------------------------------------------------------------------------------------


@bp.route("/spaces", methods=["GET", "POST"])
@login_required
def spaces_page() -> str:
    return render_template("conversations/spaces.html", matches=spaces.my_spaces(current_context()))


@bp.route("/matches/<int:match_id>/space", methods=["GET", "POST"])
@login_required
def space_page(match_id: int) -> str:
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    overview = space_overview(ctx, space, before=_thread_cursor(request.args.get("cursor")))
    return render_template(
        "conversations/space.html",
        o=overview,
        space=space,
        upcoming=upcoming(match_id),
        next_cursor=_cursor_text(overview["next_cursor"]),
        me=ctx.user_id,
    )


@bp.post("/matches/<int:match_id>/threads")
@login_required
@limit("posting", key=_me)
def new_thread_form(match_id: int) -> Response:
    data = schemas.NewThreadSchema().load(_form_payload(request.form, "title", "body"))
    ctx = current_context()
    thread = threads.create_thread(
        ctx, spaces.match_space(ctx, match_id), title=data["title"], body=data["body"], links=data["links"]
    )
    return back_to("conversations.thread_page", thread_id=thread.id)


@bp.route("/forum", methods=["GET", "POST"])
@login_required
def forum_page() -> str:
    ctx = current_context()
    space = spaces.forum_space(ctx)
    overview = space_overview(ctx, space, before=_thread_cursor(request.args.get("cursor")))
    return render_template(
        "conversations/forum.html",
        o=overview,
        space=space,
        kinds=ThreadKind,
        next_cursor=_cursor_text(overview["next_cursor"]),
    )


@bp.post("/forum/threads")
@login_required
@limit("posting", key=_me)
def new_forum_thread_form() -> Response:
    data = schemas.NewThreadSchema().load(_form_payload(request.form, "title", "body", "kind"))
    ctx = current_context()
    thread = threads.create_thread(
        ctx,
        spaces.forum_space(ctx),
        title=data["title"],
        body=data["body"],
        links=data["links"],
        kind=data["kind"],
    )
    return back_to("conversations.thread_page", thread_id=thread.id)


@bp.route("/threads/<int:thread_id>", methods=["GET", "POST"])
@login_required
def thread_page(thread_id: int) -> str:
    ctx = current_context()
    page = threads.thread_posts(ctx, thread_id, after_id=request.args.get("after", type=int))
    return render_template(
        "conversations/thread.html", p=page, me=ctx.user_id, is_coordinator=ctx.is_coordinator
    )


@bp.post("/threads/<int:thread_id>/reply")
@login_required
@limit("posting", key=_me)
def reply_form(thread_id: int) -> Response:
    data = schemas.ReplySchema().load(_form_payload(request.form, "body", "parent_id"))
    post = threads.reply(
        current_context(), thread_id, body=data["body"], links=data["links"], parent_id=data["parent_id"]
    )
    return back_to("conversations.thread_page", thread_id=thread_id, _anchor=f"post-{post.id}")


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_form(post_id: int) -> Response | str:
    ctx = current_context()
    if request.method == "POST" and "body" in request.form:
        data = schemas.EditSchema().load(_form_payload(request.form, "body"))
        post = threads.edit_post(ctx, post_id, body=data["body"], links=data["links"])
        return back_to("conversations.thread_page", thread_id=post.thread_id, _anchor=f"post-{post.id}")
    post, revisions = threads.post_revisions(ctx, post_id)
    return render_template("conversations/edit.html", post=post, revisions=revisions)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete_form(post_id: int) -> Response:
    post = threads.delete_post(current_context(), post_id)
    return back_to("conversations.thread_page", thread_id=post.thread_id, _anchor=f"post-{post.id}")


@bp.route("/posts/<int:post_id>/history", methods=["GET", "POST"])
@login_required
def revisions_page(post_id: int) -> str:
    post, revisions = threads.post_revisions(current_context(), post_id)
    return render_template("conversations/revisions.html", post=post, revisions=revisions)


@bp.post("/matches/<int:match_id>/chat")
@login_required
@limit("chat", key=_me)
def chat_form(match_id: int) -> Response:
    data = schemas.ChatSchema().load({"body": request.form.get("body", "")})
    chat.send_chat(current_context(), match_id, data["body"])
    return back_to("conversations.space_page", match_id=match_id, _anchor="chat")


@bp.route("/matches/<int:match_id>/history", methods=["GET", "POST"])
@login_required
def history_page(match_id: int) -> str:
    filters = _history_filters(request.args)
    space, entries, cursor = history.timeline(current_context(), match_id, filters)
    people = spaces.users_by_id(e.actor_user_id for e in entries)
    return render_template(
        "conversations/history.html",
        space=space,
        entries=entries,
        people=people,
        cursor=cursor,
        filters=filters,
        kinds=history.known_kinds(),
    )


@bp.get("/matches/<int:match_id>/history/export.html")
@login_required
def export_page(match_id: int) -> Response:
    data = history.export(current_context(), match_id)
    html = render_template("conversations/export.html", **data)
    return Response(
        html,
        mimetype="text/html",
        headers={
            "Content-Disposition": f'attachment; filename="ritmo-match-{match_id}-history.html"',
        },
    )


# -- template helpers ------------------------------------------------------------------------------


@bp.app_template_global("history_kind")
def history_kind(kind: str) -> str:
    return history.kind_label(kind)


@bp.app_template_global("handle")
def handle(user: Any) -> str:
    return mention_handle(user)
