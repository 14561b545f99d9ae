"""What people may write in a space: the size limits, and bodies, titles and links made clean or refused
(``Text``: the schemas' field for what people write)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _

from lti_tool.errors import InvalidInput
from lti_tool.safety.urls import UnsafeUrl, web_url

TITLE_MAX = 200
POST_MAX = 20_000
CHAT_MAX = 2_000
LINKS_MAX = 10
URL_MAX = 2_048


def clean_body(body: str, limit: int, field_name: str = "body") -> str:
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


def clean_title(title: str, field_name: str = "title") -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(errors={field_name: [_("Give the topic a title.")]})
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            errors={field_name: [_("Keep the title under %(limit)d characters.", limit=TITLE_MAX)]}
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
