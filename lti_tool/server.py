"""Running Ritmo: gunicorn in production, and the demo pair (Ritmo + demo LMS) on one machine."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app
from werkzeug.serving import WSGIRequestHandler, make_server

from lti_tool.demo_seed import Seeded, seed_programme
from lti_tool.inbound.receiver import start_receiver
from lti_tool.jobs.runner import InlineRunner
from lti_tool.launch.tool_config import registration_scope


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


@dataclass
class DemoRun:
    """The demo pair, ready to serve: Ritmo's app, the demo LMS (serving), its mail catcher, the seed."""

    app: Flask
    lms: Any  # lti_tool.demo.ServerHandle
    mail: Any  # lti_tool.demo.MailCatcher
    seeded: Seeded
    lms_url: str


class _QuietHandler(WSGIRequestHandler):
    """No line per request: `make demo` prints what a person needs, not an access log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def start_demo(
    tool_base: str, lms_port: int, mail_port: int = 0, config: dict[str, Any] | None = None
) -> DemoRun:
    """Start the demo LMS (on ``localhost:lms_port``) and its mail catcher, point Ritmo's mail at
    the catcher, register the LMS, and seed its first course's programme; Ritmo is not served yet.

    The two live on different sites (127.0.0.1 and localhost), so the browser treats Ritmo in the
    LMS page as a cross-site iframe, as it would be in production.
    """
    from lti_tool import create_app
    from lti_tool.demo import DemoPlatform, MailCatcher, create_demo_lms, demo_registration
    from lti_tool.demo.server import serve_in_thread
    from lti_tool.launch import registry
    from lti_tool.migrations_runner import upgrade

    lms_base = f"http://localhost:{lms_port}"
    lms_config = {
        "base_url": lms_base,
        "tool_base_url": tool_base,
        "platform_storage": True,
        "empty_course": True,
    }
    lms = create_demo_lms(lms_config)
    platform = DemoPlatform.of(lms)
    catcher = MailCatcher(platform.outbox, "127.0.0.1", mail_port).start()
    # The demo LMS is on localhost over http: let Ritmo call it (never set this in production).
    settings = {"BASE_URL": tool_base, "ALLOW_PRIVATE_URLS": True}
    settings |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": catcher.port, "SMTP_STARTTLS": False}
    settings |= {"SMTP_USERNAME": None}
    app = create_app({**(config or {}), **settings})
    course = platform.course
    claims = [platform.build_id_token(p.user_id) for p in course.members if p.status == "Active"]
    with app.app_context():
        upgrade()
        reg = demo_registration(lms_config)
        row = registry.find_platform(reg["issuer"], reg["client_id"]) or registry.add_platform(reg)
        with app.test_request_context():
            seeded = seed_programme(row.id, registration_scope(row.id, row.created_at), claims)
    handle = serve_in_thread(lms, "127.0.0.1", lms_port)
    return DemoRun(app, handle, catcher, seeded, lms_base)


def run_demo(host: str, port: int, lms_port: int, mail_port: int = 0) -> None:
    """Serve Ritmo on ``host:port`` next to the demo LMS, its Outbox and Gradebook pages."""
    tool_base = f"http://{host}:{port}"
    demo = start_demo(tool_base, lms_port, mail_port)
    start_inline_runner(demo.app)
    seeded = demo.seeded
    click.echo(f"Ritmo demo ready. Open the demo LMS: {demo.lms_url}/")
    click.echo(
        f"  Mentoring 101: {len(seeded.people)} people, {seeded.profiles} profiles, "
        f"{seeded.proposed} proposed pairs; launch as Irene Instructor (coordinator), "
        "Giulia Bianchi (mentee, active pair) or Marco Ferrari (mentor)."
    )
    click.echo("  Mentoring 102: empty, for setting up a programme from scratch.")
    click.echo(f"  E-mails: {demo.lms_url}/outbox   Grades: {demo.lms_url}/gradebook")
    click.echo(f"  Ritmo itself serves on {tool_base} (Ctrl+C stops both).")
    # One threaded process is all the embedded mode needs; production runs `lti-tool serve`.
    server = make_server(host, port, demo.app, threaded=True, request_handler=_QuietHandler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        demo.mail.stop()
        click.echo("Stopped.")
