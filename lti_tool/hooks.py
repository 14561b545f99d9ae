"""Request hooks: no cookie session, security headers, the session token for templates, and the
migration guard."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g
from flask.sessions import SessionInterface

from lti_tool import headers


class NoCookieSessions(SessionInterface):
    """Ritmo keeps no state in Flask's cookie session: LMS iframes lose third-party cookies, so the
    in-frame session token carries it (``identity.session``). Opening an empty cookie session still
    builds a signing serializer on every request; this skips that work. Writing ``session``
    fails loudly (Flask's null session)."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None


def register(app: Flask) -> None:
    app.session_interface = NoCookieSessions()

    @app.context_processor
    def session_helpers() -> dict[str, object]:
        return {"session_token": lambda: g.get("session_token")}

    @app.before_request
    def forget_previous_session() -> None:
        # ``g`` belongs to the app context, which can outlive one request (tests, CLI).
        g.pop("launch_context", None)
        g.pop("session_token", None)
        g.pop("csp_nonce", None)

    headers.init_app(app)  # CSP with frame-ancestors and nonces, HSTS
