"""Languages: the launch's ``locale`` claim picks the catalogue; the browser's preference is the
fallback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, get_translations, gettext, ngettext, refresh


def normalise(locale: str | None) -> str | None:
    """``it-IT`` and ``it_IT`` -> ``it``, if Ritmo speaks it."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in current_app.config["LANGUAGES"] else None


def language_of(locale: str | None) -> str:
    """The language to write to a person in: their saved ``locale`` if Ritmo speaks it, else the
    default (for e-mails and notifications built for someone other than the request's viewer)."""
    return normalise(locale) or str(current_app.config["BABEL_DEFAULT_LOCALE"])


@contextmanager
def written_for(locale: str | None) -> Iterator[None]:
    """Build text for someone other than the viewer (a notification, an e-mail) in their language:
    ``gettext``, lazy strings and templates all follow it inside the block."""
    saved = g.pop("ritmo_translations", None) if has_app_context() else None
    try:
        with force_locale(language_of(locale)):
            yield
    finally:
        if has_app_context():
            g.pop("ritmo_translations", None)  # the recipient's catalogue, cached inside
            if saved is not None:
                g.ritmo_translations = saved


def say(msgid: str, **args: Any) -> dict[str, Any]:
    """A sentence kept as its message and arguments, for text stored now and read later by people
    who speak different languages (see :func:`said`). ``babel.cfg`` extracts ``say`` like ``_``."""
    return {"msgid": msgid, "args": args}


def say_plural(singular: str, plural: str, num: int, **args: Any) -> dict[str, Any]:
    return {"msgid": singular, "plural": plural, "num": num, "args": args}


def said(sentence: dict[str, Any] | None, fallback: str = "") -> str:
    """A stored :func:`say` sentence in the reader's language; ``fallback`` (the text as first
    written) when there is none or it no longer fits its message."""
    if not isinstance(sentence, dict) or not isinstance(sentence.get("msgid"), str):
        return fallback
    found = sentence.get("args")
    args: dict[str, Any] = found if isinstance(found, dict) else {}
    try:
        if sentence.get("plural"):
            return str(ngettext(sentence["msgid"], sentence["plural"], int(sentence["num"]), **args))
        return str(gettext(sentence["msgid"], **args))
    except (KeyError, TypeError, ValueError):
        return fallback


def select_locale() -> str | None:
    if not has_request_context():
        return None  # CLI and jobs: the default language
    ctx = g.get("launch_context")
    chosen = normalise(ctx.locale) if ctx is not None else None
    return chosen or request.accept_languages.best_match(current_app.config["LANGUAGES"])


def _translations() -> Any:
    """The request's catalogue, looked up once per request: a page calls ``_()`` dozens of times
    and Flask-Babel resolves domain, locale and cache on every call. (It fixes the locale at the
    first lookup of a request too, so this changes nothing but the cost.)"""
    if not has_request_context():
        return get_translations()
    translations = g.get("ritmo_translations")
    if translations is None:
        translations = g.ritmo_translations = get_translations()
    return translations


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)

    @app.before_request
    def forget_previous_language() -> None:
        # ``g`` belongs to the app context, which can outlive one request (tests, CLI): without
        # this, a request would speak the language its predecessor picked.
        g.pop("ritmo_translations", None)
        refresh()

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
    # ``{{ criterion|said }}``: an explanation's sentence in the reader's language.
    app.jinja_env.filters["said"] = lambda item: said(item.get("say"), item.get("text", ""))
