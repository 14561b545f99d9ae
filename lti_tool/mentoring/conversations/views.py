"""Match spaces, the programme forum, chat and history: the in-frame pages (the JSON API is ``api``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask import Response as WebResponse
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from lti_tool.errors import InvalidInput
from lti_tool.identity.session import current_context, login_required
from lti_tool.mentoring.conversations import chat, history, schemas, spaces, threads
from lti_tool.mentoring.conversations.mentions import mention_handle
from lti_tool.mentoring.conversations.models import ThreadKind
from lti_tool.mentoring.conversations.overview import space_overview
from lti_tool.mentoring.meetings.access import upcoming
from lti_tool.ratelimit import limit
from lti_tool.web import MAX_ID, back_to

bp = Blueprint("conversations", __name__)


def me() -> str:
    return str(current_context().user_id)


def thread_cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw:
        return None
    at, _sep, thread_id = raw.rpartition("_")
    try:
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        if not thread_id.isascii() or not thread_id.isdigit() or int(thread_id) > MAX_ID:
            raise ValueError("not an id")
        return parsed.astimezone(UTC), int(thread_id)  # the calendar's first and last hours have no UTC time
    except (ValueError, OverflowError) as error:
        raise InvalidInput(errors={"cursor": [_("Use the cursor of the previous page.")]}) from error


def cursor_text(cursor: tuple[datetime, int] | None) -> str | None:
    return f"{cursor[0].isoformat()}_{cursor[1]}" if cursor else None


def history_filters(args: MultiDict[str, str]) -> history.HistoryFilters:
    raw: dict[str, Any] = {k: v for k, v in args.to_dict().items() if v != "" and k != "rh"}
    kinds = [k for k in args.getlist("kind") if k]
    raw.pop("kind", None)
    if kinds:
        raw["kind"] = kinds
    data = schemas.ConversationsHistoryQuery().load(raw)
    return history.HistoryFilters(
        q=(data["q"] or "").strip() or None,
        kinds=frozenset(data["kind"]) if data["kind"] else None,
        since=data["since"],
        until=data["until"],
        before=history.decode_cursor(data["cursor"]),
        limit=data["limit"],
    )


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


# -- pages -----------------------------------------------------------------------------------------


@bp.route("/spaces", methods=["GET", "POST"])
@login_required
def spaces_page() -> str:
    ctx = current_context()
    matches = spaces.my_spaces(ctx)
    return render_template(
        "conversations/spaces.html", matches=matches, people=spaces.members_of(matches), me=ctx.user_id
    )


@bp.route("/matches/<int:match_id>/space", methods=["GET", "POST"])
@login_required
def space_page(match_id: int) -> str:
    ctx = current_context()
    space = spaces.match_space(ctx, match_id)
    overview = space_overview(ctx, space, before=thread_cursor(request.args.get("cursor")))
    return render_template(
        "conversations/space.html",
        o=overview,
        space=space,
        upcoming=upcoming(match_id),
        next_cursor=cursor_text(overview["next_cursor"]),
        me=ctx.user_id,
    )


@bp.post("/matches/<int:match_id>/threads")
@login_required
@limit("posting", key=me)
def new_thread_form(match_id: int) -> WebResponse:
    data = schemas.ConversationsNewThreadIn().load(_form_payload(request.form, "title", "body"))
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
    overview = space_overview(ctx, space, before=thread_cursor(request.args.get("cursor")))
    return render_template(
        "conversations/forum.html",
        o=overview,
        space=space,
        kinds=ThreadKind,
        next_cursor=cursor_text(overview["next_cursor"]),
    )


@bp.post("/forum/threads")
@login_required
@limit("posting", key=me)
def new_forum_thread_form() -> WebResponse:
    data = schemas.ConversationsNewThreadIn().load(_form_payload(request.form, "title", "body", "kind"))
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
@limit("posting", key=me)
def reply_form(thread_id: int) -> WebResponse:
    data = schemas.ConversationsReplyIn().load(_form_payload(request.form, "body", "parent_id"))
    post = threads.reply(
        current_context(), thread_id, body=data["body"], links=data["links"], parent_id=data["parent_id"]
    )
    return back_to("conversations.thread_page", thread_id=thread_id, _anchor=f"post-{post.id}")


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_form(post_id: int) -> WebResponse | str:
    ctx = current_context()
    if request.method == "POST" and "body" in request.form:
        data = schemas.ConversationsEditIn().load(_form_payload(request.form, "body"))
        post = threads.edit_post(ctx, post_id, body=data["body"], links=data["links"])
        return back_to("conversations.thread_page", thread_id=post.thread_id, _anchor=f"post-{post.id}")
    post, revisions = threads.post_revisions(ctx, post_id)
    return render_template("conversations/edit.html", post=post, revisions=revisions)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete_form(post_id: int) -> WebResponse:
    post = threads.delete_post(current_context(), post_id)
    return back_to("conversations.thread_page", thread_id=post.thread_id, _anchor=f"post-{post.id}")


@bp.route("/posts/<int:post_id>/history", methods=["GET", "POST"])
@login_required
def revisions_page(post_id: int) -> str:
    post, revisions = threads.post_revisions(current_context(), post_id)
    return render_template("conversations/revisions.html", post=post, revisions=revisions)


@bp.post("/matches/<int:match_id>/chat")
@login_required
@limit("chat", key=me)
def chat_form(match_id: int) -> WebResponse:
    data = schemas.ConversationsChatIn().load({"body": request.form.get("body", "")})
    chat.send_chat(current_context(), match_id, data["body"])
    return back_to("conversations.space_page", match_id=match_id, _anchor="chat")


@bp.route("/matches/<int:match_id>/history", methods=["GET", "POST"])
@login_required
def history_page(match_id: int) -> str:
    filters = history_filters(request.args)
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
def export_page(match_id: int) -> WebResponse:
    data = history.export(current_context(), match_id)
    html = render_template("conversations/export.html", **data)
    return WebResponse(
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
