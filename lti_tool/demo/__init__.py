"""Ritmo's built-in demo LMS: a small, real LTI 1.3 Advantage platform.

It is a separate Flask app that talks to the tool only over HTTP/LTI; nothing from
the tool side is imported here.

Endpoints: ``/`` (courses and people), ``/gradebook`` and ``/outbox[/<n>]`` (pages),
``/demo/launch`` and ``/demo/launch-window``
(third-party initiated login), ``/demo/auth`` (OIDC), ``/demo/token`` (OAuth2 client
credentials), ``/demo/jwks``, ``/demo/courses/<ctx>/lineitems[/<id>[/scores|/results]]``
(AGS), ``/demo/courses/<ctx>/memberships`` (NRPS), ``/demo/deep_link_return``, and for
tests ``/demo/gradebook``, ``/demo/placements``, ``/demo/stats``, ``/demo/faults``,
``/demo/registration``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .config import DemoConfig
from .mailcatcher import MailCatcher, Outbox
from .platform import EXTENSION_KEY, DemoPlatform, demo_registration_for
from .server import ServerHandle, serve_in_thread, start_demo_server

__all__ = [
    "DemoConfig",
    "DemoPlatform",
    "MailCatcher",
    "Outbox",
    "ServerHandle",
    "create_demo_lms",
    "demo_registration",
    "serve_in_thread",
    "start_demo_server",
]


def create_demo_lms(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the demo LMS Flask app; `DemoPlatform.of(app)` gives its state."""
    from . import ags, books, deep_linking, nrps, oauth, oidc, pages

    cfg = DemoConfig.from_mapping(config)
    app = Flask(__name__, template_folder="templates", static_folder=None)
    app.config["SECRET_KEY"] = cfg.secret_key
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = DemoPlatform(cfg)
    for module in (pages, books, oidc, oauth, ags, nrps, deep_linking):
        app.register_blueprint(module.bp)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals["csp_nonce"] = _csp_nonce
    app.after_request(_script_policy)
    return app


def _csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _script_policy(response: Response) -> Response:
    # An LMS page holds the tool's frame: only its own, nonced scripts and styles run.
    nonce = f"'nonce-{_csp_nonce()}'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"script-src {nonce}; style-src 'self' {nonce}; object-src 'none'; base-uri 'none'",
    )
    return response


_API_PREFIXES = ("/demo/courses/", "/demo/token", "/demo/faults")


def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
    """JSON errors for service endpoints (clients parse them), HTML for pages."""
    status = exc.code or 500
    if request.path.startswith(_API_PREFIXES):
        return jsonify(
            error=exc.name.lower().replace(" ", "_"), error_description=exc.description
        ), status
    return render_template("demo/error.html", title=exc.name, message=exc.description), status


def demo_registration(demo_cfg: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the tool must register for a demo LMS built from `demo_cfg`."""
    return demo_registration_for(DemoConfig.from_mapping(demo_cfg))
