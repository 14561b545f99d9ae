"""Ritmo: e-mentoring inside the LMS, as an LTI 1.3 Advantage tool.

:func:`create_app` reads like a table of contents: settings, extensions, the error handler, the
features (:mod:`lti_tool.features`, each declaring its own blueprints, tasks, event handlers and
launch targets), the CLI and the request hooks.

The imports stay inside the factory: importing any ``lti_tool`` module must not load every feature.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Ritmo application. ``config`` overrides defaults and ``LTI_TOOL_*`` variables."""
    app = Flask(__name__, instance_relative_config=True)
    from lti_tool.settings import load_settings

    load_settings(app, config)
    register_extensions(app)
    register_errorhandlers(app)
    register_features(app)
    register_commands(app)
    register_hooks(app)
    return app


def register_extensions(app: Flask) -> None:
    from lti_tool import i18n, mail, models, safety, web
    from lti_tool.cache import init_cache
    from lti_tool.db import init_db
    from lti_tool.identity import revocation
    from lti_tool.proxy import init_proxy
    from lti_tool.ratelimit import init_ratelimit

    models.load_all()
    revocation.listen()  # ended sessions are refused by every process once committed
    mail.init_app(app)  # the job that sends queued e-mail
    init_db(app)
    init_cache(app)
    init_ratelimit(app)
    i18n.init_app(app)
    init_proxy(app)
    safety.init_app(app)  # the page filters that keep names and stored addresses inert
    web.init_app(app)  # template helpers every page shares (times in the viewer's zone)


def register_errorhandlers(app: Flask) -> None:
    from lti_tool.errors import register_errorhandlers as register

    register(app)


def register_features(app: Flask) -> None:
    from lti_tool import features

    features.init_app(app)


def register_commands(app: Flask) -> None:
    from lti_tool.commands import register

    register(app)


def register_hooks(app: Flask) -> None:
    from lti_tool import limits
    from lti_tool.hooks import register

    register(app)
    limits.init_app(app)  # body sizes, strict JSON, who writes and how often (after the hooks above)
