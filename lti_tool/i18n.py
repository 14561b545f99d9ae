"""Languages: the launch's ``locale`` claim picks the catalogue; the browser's preference is the
fallback."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale


def normalise(locale: str | None) -> str | None:
    """``it-IT`` and ``it_IT`` -> ``it``, if Ritmo speaks it."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in current_app.config["LANGUAGES"] else None


def select_locale() -> str | None:
    if not has_request_context():
        return None  # CLI and jobs: the default language
    ctx = g.get("launch_context")
    chosen = normalise(ctx.locale) if ctx is not None else None
    return chosen or request.accept_languages.best_match(current_app.config["LANGUAGES"])


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
