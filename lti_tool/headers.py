"""Security headers on every response: the Content-Security-Policy, HSTS and a few fixed ones.

Ritmo lives in LMS iframes, so ``frame-ancestors`` names the registered platforms
(``launch.framing``) rather than forbidding framing. Scripts and styles come from Ritmo's own files
or carry this request's nonce (``csp_nonce()`` in templates); no ``'unsafe-inline'``, no event
handler attributes. HSTS goes out only when ``BASE_URL`` is https, so the http demo stays usable.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g

from lti_tool.launch import framing

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce, made on first use."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def policy(*, extra_origins: tuple[str, ...] = ()) -> str:
    """The policy; ``extra_origins`` may also serve scripts and frames (a meeting room's video)."""
    nonce = f"'nonce-{csp_nonce()}'"
    extra = "".join(f" {o}" for o in extra_origins)
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {nonce}{extra}",
        f"style-src 'self' {nonce}",
        "img-src 'self' data: https:",
        f"frame-src https:{extra}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        # Deep linking and the OIDC steps post forms to the platform, wherever it lives.
        "form-action *",
        "frame-ancestors " + " ".join(framing.frame_ancestors()),
    ])


def add_headers(response: Response) -> Response:
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", policy())
    if current_app.config["BASE_URL"].lower().startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    framing.check_extra(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_headers)
