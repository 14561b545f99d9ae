"""The signed reply addresses thread and chat e-mails carry (``Reply-To``); ``inbound.py`` takes
the replies sent to them."""

from __future__ import annotations

from lti_tool.inbound.addresses import reply_address
from lti_tool.mentoring.conversations.models import Thread

THREAD_KIND = "t"
CHAT_KIND = "c"


def thread_reply_address(user_id: int, thread: Thread) -> str | None:
    """Where ``user_id`` replies by e-mail to ``thread``; ``None`` when replies by e-mail are off."""
    return reply_address(THREAD_KIND, user_id, thread.match_id or 0, thread.id)


def chat_reply_address(user_id: int, match_id: int) -> str | None:
    """Where ``user_id`` replies by e-mail to the match's chat; ``None`` when replies are off."""
    return reply_address(CHAT_KIND, user_id, match_id)
