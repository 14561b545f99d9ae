"""A survey's words in the reader's language: the Italian text for Italian readers, the English
one otherwise, and the other language when the one wanted is empty."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale


def language() -> str:
    locale = get_locale()
    return "it" if locale is not None and locale.language == "it" else "en"


def local(thing: Any, base: str) -> str:
    """``thing.<base>_it`` or ``thing.<base>_en`` (attributes or dict keys), whichever the reader
    reads, falling back to the other."""
    first, second = ("it", "en") if language() == "it" else ("en", "it")

    def read(lang: str) -> str:
        name = f"{base}_{lang}"
        value = thing.get(name) if isinstance(thing, dict) else getattr(thing, name, "")
        return str(value or "")

    return read(first) or read(second)
