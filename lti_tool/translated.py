"""Texts a coordinator writes once per programme language (a question's label, a milestone's title).

A row keeps its texts as ``{"en": {"label": ...}, "it": {"label": ...}}`` beside the single column
it always had (``label``, ``title``), which holds the text in the default language: older API clients
that send or read only that column keep working, and a row without a translation falls back to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, has_request_context
from flask_babel import get_locale


def languages() -> list[str]:
    """The languages Ritmo speaks, the default first."""
    default = default_language()
    return [default, *[lang for lang in current_app.config["LANGUAGES"] if lang != default]]


def default_language() -> str:
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def viewer_language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None else default_language()


def shown(texts: Mapping[str, Any] | None, field: str, fallback: str) -> str:
    """``field`` in the viewer's language; else in the default language; else ``fallback``."""
    texts = texts or {}
    for lang in (viewer_language(), default_language()):
        value = (texts.get(lang) or {}).get(field)
        if value:
            return str(value)
    return fallback


def in_language(texts: Mapping[str, Any] | None, lang: str, field: str, fallback: str = "") -> str:
    """What the form shows in the field for ``lang``: its text, or the single column for the default."""
    value = ((texts or {}).get(lang) or {}).get(field)
    if value:
        return str(value)
    return fallback if lang == default_language() else ""


def from_fields(data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, dict[str, str]] | None:
    """Texts from form or API fields named ``<field>_<lang>`` (``label_it``); ``None`` if none given."""
    found: dict[str, dict[str, str]] = {}
    given = False
    for lang in languages():
        for field in fields:
            key = f"{field}_{lang}"
            if key in data:
                given = True
                value = str(data[key] or "").strip()
                if value:
                    found.setdefault(lang, {})[field] = value
    return found if given else None


def merged(
    current: Mapping[str, Any] | None,
    new: Mapping[str, Mapping[str, str]] | None,
    single: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """The texts after an edit: ``new`` replaces the languages it names; a value given only in the
    single column (an older client's ``label``) becomes the default language's text."""
    out = {lang: dict(values) for lang, values in (current or {}).items() if isinstance(values, Mapping)}
    if new is not None:
        for lang in languages():
            out[lang] = dict(new.get(lang) or {})
    default = out.setdefault(default_language(), {})
    for field, value in single.items():
        if value and (new is None or field not in (new.get(default_language()) or {})):
            default[field] = value
    return {lang: values for lang, values in out.items() if values}


def single(texts: Mapping[str, Mapping[str, str]], field: str) -> str:
    """The text the single column keeps: the default language's, else the first language that has one."""
    for lang in languages():
        value = (texts.get(lang) or {}).get(field)
        if value:
            return value
    return ""
