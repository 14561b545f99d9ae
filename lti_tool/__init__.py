"""Ritmo: e-mentoring inside the LMS, as an LTI 1.3 Advantage tool.

:func:`create_app` reads like a table of contents: settings, extensions, the error handler, the
blueprints (registered last), the CLI and the background runner.
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
    register_blueprints(app)
    register_launch(app)
    register_commands(app)
    register_hooks(app)
    return app


def register_extensions(app: Flask) -> None:
    from lti_tool import i18n, models
    from lti_tool.cache import init_cache
    from lti_tool.db import init_db
    from lti_tool.proxy import init_proxy
    from lti_tool.ratelimit import init_ratelimit

    models.load_all()
    from lti_tool.identity import revocation

    revocation.listen()  # ended sessions are refused by every process once committed
    import lti_tool.mail  # noqa: F401 - registers the mail task
    init_db(app)
    init_cache(app)
    init_ratelimit(app)
    i18n.init_app(app)
    init_proxy(app)
    from lti_tool import safety

    safety.init_app(app)  # the page filters that keep names and stored addresses inert
    from lti_tool import web

    web.init_app(app)  # template helpers every page shares (times in the viewer's zone)


def register_errorhandlers(app: Flask) -> None:
    from lti_tool.errors import register_errorhandlers as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from lti_tool.blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS():
        app.register_blueprint(blueprint)


def register_launch(app: Flask) -> None:
    """What each feature does with a launch: the step every launch runs, the page each kind of
    placed link opens, and what deep linking may place (``launch.targets``, ``launch.deep_linking``)."""
    from lti_tool.launch import deep_linking, setup_views, targets
    from lti_tool.mentoring.content import views as content
    from lti_tool.mentoring.goals import views as goals
    from lti_tool.mentoring.programmes import home as programme_home
    from lti_tool.mentoring.programmes import views as programmes
    from lti_tool.mentoring.webinars import placement
    from lti_tool.mentoring.webinars import views as webinars

    targets.register_step(app, programme_home.join)
    targets.register(app, "programme", programmes.open_programme, default=True)
    targets.register(app, "milestone", goals.open_milestone)
    targets.register(app, "content", content.open_module)
    targets.register(app, "webinar", webinars.open_webinar)
    targets.register_deep_linking_page(app, setup_views.picker)
    deep_linking.register_offer(app, "programme", programme_home.offers)
    deep_linking.register_offer(app, "webinar", placement.webinars)
    deep_linking.register_offer(app, "content", placement.content_modules)


def register_commands(app: Flask) -> None:
    from lti_tool.commands import register

    register(app)


def register_hooks(app: Flask) -> None:
    from lti_tool import limits
    from lti_tool.hooks import register

    register(app)
    limits.init_app(app)  # body sizes, strict JSON, who writes and how often (after the hooks above)
