"""Person names made safe to show: no bidi controls, no invisible characters.

A name is text the LMS (or a CSV file) sends about a person and Ritmo shows to other people. A
right-to-left override (U+202E) in it turns "Ada\u202eecilA" into a name that reads differently from
what it is, and zero-width characters make two different people look alike. :func:`clean_name`
removes every Unicode format character (category Cf: the bidi embeddings, overrides, isolates and
marks, zero-width space and no-break space, word joiner, soft hyphen, tag characters) except a
zero-width (non-)joiner between two letters of a script that needs it (Persian, the Indic scripts),
turns control and line-separator characters into spaces and collapses runs of whitespace. It is
applied where names are written (launch claims, roster sync, CSV import) and where they are shown
(:func:`lti_tool.accounts.models.display_name`, the ``person`` filter), so rows stored earlier are
shown safely too. The ``person`` filter also isolates the name in ``<bdi>``, so a right-to-left
name inside a sentence does not reorder the words around it.
"""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

_JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ: part of correct spelling in some scripts
# Letters that render as blank space although they are not format characters (Hangul fillers, etc.).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u180e")
_FIRST_JOINING_SCRIPT = 0x0590  # below: Latin, Greek, Cyrillic, Armenian, which never need a joiner


def clean_name(value: str | None) -> str | None:
    """``value`` without bidi controls and invisible characters, whitespace collapsed."""
    if value is None:
        return None
    if value.isascii() and value.isprintable():  # the usual name: nothing to do, nothing to pay
        return " ".join(value.split()) if "  " in value or value[:1] == " " or value[-1:] == " " else value
    kept: list[str] = []
    for index, ch in enumerate(value):
        category = unicodedata.category(ch)
        if ch in _JOINERS:
            if _joins(value, index):
                kept.append(ch)
        elif category == "Cf" or ch in _BLANK_LETTERS:
            continue
        elif category in ("Cc", "Zl", "Zp", "Zs"):
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def _joins(text: str, index: int) -> bool:
    before, after = text[index - 1 : index], text[index + 1 : index + 2]
    return bool(before and after) and all(
        ord(ch) >= _FIRST_JOINING_SCRIPT and unicodedata.category(ch)[0] in "LM" for ch in (before, after)
    )


def person_html(value: str | None) -> Markup:
    """A name for a page: cleaned, escaped and isolated in ``<bdi>``."""
    return Markup("<bdi>%s</bdi>") % escape(clean_name(value) or "")
