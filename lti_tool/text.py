"""User text: Markdown in, sanitised HTML out, and the @mentions it contains.

Raw HTML in the source is never passed through (markdown-it runs with ``html`` off), and the rendered
HTML goes through nh3 with a short allow-list of tags, attributes and URL schemes, so whatever a person
types renders inert. Features store the result at write time; reads never re-render.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

#: Tags the renderer may produce and nh3 keeps; anything else is dropped with its content kept.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "s",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# A mention is "@" plus a handle at a word start: letters, digits, dots, dashes and underscores.
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_][\w.\-]{0,63})", re.UNICODE)

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def render_markdown(text: str) -> str:
    """Render Markdown ``text`` to HTML that is safe to place in a page as is."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def extract_mentions(text: str) -> list[str]:
    """Handles mentioned in ``text``, lower-cased, in order, without repeats (code spans included)."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text or ""):
        seen.setdefault(match.group(1).rstrip(".-").lower(), None)
    return list(seen)


def handle_for(name: str) -> str:
    """The handle people type to mention someone called ``name``: "Ada Lovelace" -> "adalovelace"."""
    return re.sub(r"[^\w]+", "", name, flags=re.UNICODE).lower()


def excerpt(text: str, length: int = 160) -> str:
    """A one-line plain excerpt of Markdown ``text`` for lists and e-mails."""
    plain = re.sub(r"\s+", " ", re.sub(r"[`*_>#\[\]()~|]", "", text or "")).strip()
    return plain if len(plain) <= length else plain[: length - 1].rstrip() + "…"
