"""Running Ritmo: gunicorn in production, and the demo pair (Ritmo + demo LMS) on one machine."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app

from lti_tool.inbound.receiver import start_receiver
from lti_tool.jobs.runner import InlineRunner


def require_migrated() -> None:
    """Stop with a clear message when the database is behind the code."""
    from lti_tool.migrations_runner import pending_migrations

    if current_app.config["REQUIRE_MIGRATED_DATABASE"] and pending_migrations():
        click.echo(
            "The database schema is not up to date. Run 'lti-tool db upgrade' first "
            f"(database: {_redacted(current_app.config['SQLALCHEMY_DATABASE_URI'])}).",
            err=True,
        )
        sys.exit(1)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def start_inline_runner(app: Flask) -> InlineRunner | None:
    """The embedded mode's worker: the job runner thread and, when replies by e-mail are on, the
    SMTP receiver (one per machine: the first process to bind its port)."""
    if app.config["JOBS_BACKEND"] != "inline":
        return None
    runner = InlineRunner(app, app.config["JOBS_POLL_SECONDS"]).start()
    app.extensions["ritmo_runner"] = runner
    start_receiver(app)
    return runner


def run_gunicorn(host: str, port: int, workers: int, threads: int = 8) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            settings: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "accesslog": None,
                "post_worker_init": lambda worker: start_inline_runner(worker.app.callable),
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            from lti_tool import create_app

            return create_app()

    Server().run()


def run_demo(host: str, port: int, lms_port: int) -> None:
    """Serve Ritmo on ``host:port`` and the demo LMS on ``localhost:lms_port``.

    The two live on different sites (127.0.0.1 and localhost), so the browser treats Ritmo in the
    LMS page as a cross-site iframe, as it would be in production.
    """
    from werkzeug.serving import make_server

    from lti_tool import create_app
    from lti_tool.demo import create_demo_lms, demo_registration
    from lti_tool.demo.server import serve_in_thread
    from lti_tool.launch import registry
    from lti_tool.migrations_runner import upgrade

    tool_base = f"http://{host}:{port}"
    # The demo LMS is on localhost over http: let Ritmo call it (never set this in production).
    app = create_app({"BASE_URL": tool_base, "ALLOW_PRIVATE_URLS": True})
    lms_base = f"http://localhost:{lms_port}"
    lms_config = {"base_url": lms_base, "tool_base_url": tool_base, "platform_storage": True}
    with app.app_context():
        upgrade()
        lms = create_demo_lms(lms_config)
        reg = demo_registration(lms_config)
        if registry.find_platform(reg["issuer"], reg["client_id"]) is None:
            registry.add_platform(reg)
    serve_in_thread(lms, "127.0.0.1", lms_port)
    start_inline_runner(app)
    click.echo(f"Ritmo is serving on {tool_base}")
    click.echo(f"Open the demo LMS: {lms_base}/  (launch Ritmo as any course member from there)")
    # One threaded process is all the embedded mode needs; production runs `lti-tool serve`.
    server = make_server(host, port, app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
