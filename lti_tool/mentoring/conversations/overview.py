"""The first screen of a space: its latest threads, who is in it and, for a match, the chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lti_tool.identity.context import LaunchContext
from lti_tool.mentoring.conversations.chat import chat_changes
from lti_tool.mentoring.conversations.read_state import commit_read_state, record_visit
from lti_tool.mentoring.conversations.spaces import Space, users_by_id
from lti_tool.mentoring.conversations.threads import list_threads


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
