"""Request hooks: security headers, the session token for templates, and the migration guard."""

from __future__ import annotations

from flask import Flask, Response, g


def register(app: Flask) -> None:
    @app.context_processor
    def session_helpers() -> dict[str, object]:
        return {"session_token": lambda: g.get("session_token")}

    @app.before_request
    def forget_previous_session() -> None:
        # ``g`` belongs to the app context, which can outlive one request (tests, CLI).
        g.pop("launch_context", None)
        g.pop("session_token", None)

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Ritmo lives in LMS iframes: framing is allowed, everything else stays tight.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: https:; frame-src https:; connect-src 'self'; "
            "form-action *; frame-ancestors *",
        )
        return response
