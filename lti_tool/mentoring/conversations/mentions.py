"""``@mentions``: which people of a space a text names, and the handle each person is mentioned by."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool import text as usertext
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.mentoring.conversations.spaces import Space, users_by_id
from lti_tool.mentoring.programmes.models import (
    Participant,
)


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
