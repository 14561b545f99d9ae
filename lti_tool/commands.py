"""The ``lti-tool`` commands an LMS admin or operator runs."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from lti_tool.errors import RitmoError

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
platform_cli = AppGroup("platform", help="Platforms (LMS registrations) allowed to launch Ritmo.")
keys_cli = AppGroup("keys", help="Ritmo's signing keys.")
jobs_cli = AppGroup("jobs", help="Background jobs.")
mail_cli = AppGroup("mail", help="E-mail: receiving replies.")


def fail(error: RitmoError) -> None:
    click.echo(f"Error: {error.detail}", err=True)
    for field, messages in (error.errors or {}).items():
        click.echo(f"  --{field.replace('_', '-')}: {' '.join(map(str, messages))}", err=True)
    sys.exit(2)


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to date."""
    from lti_tool.migrations_runner import upgrade

    upgrade(revision)
    click.echo("Database is up to date.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Go back to REVISION (see the migration files)."""
    from lti_tool.migrations_runner import downgrade

    downgrade(revision)


@db_cli.command("check")
def db_check() -> None:
    """Exit non-zero when migrations are pending."""
    from lti_tool.migrations_runner import pending_migrations

    pending = pending_migrations()
    if pending:
        click.echo(f"Pending migrations: {', '.join(sorted(pending))}. Run 'lti-tool db upgrade'.")
        sys.exit(1)
    click.echo("Database is up to date.")


@platform_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://lms.example.edu")
@click.option("--client-id", required=True, help="The client id the platform gave Ritmo.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeat for each deployment.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token URL.")
@click.option("--key-set-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option("--name", default="", help="A name for people to recognise it.")
@click.option("--token-audience", default=None, help="Client-assertion aud, if not the token URL.")
@click.option("--accept-first-deployment", is_flag=True, help="Trust the first launch's deployment.")
def platform_add(**values: object) -> None:
    """Register a platform (issuer + client id) with its deployments."""
    from lti_tool.launch import registry

    values["deployment_ids"] = list(values["deployment_ids"])  # type: ignore[call-overload]
    try:
        platform = registry.add_platform(values)
    except RitmoError as error:
        fail(error)
    click.echo(f"Registered platform {platform.id}: {platform.issuer} (client {platform.client_id}).")


@platform_cli.command("add-deployment")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def platform_add_deployment(platform_id: int, deployment_id: str) -> None:
    """Allow one more deployment of a registered platform."""
    from lti_tool.launch import registry

    try:
        registry.add_deployment(platform_id, deployment_id)
    except RitmoError as error:
        fail(error)
    click.echo(f"Deployment {deployment_id} added to platform {platform_id}.")


@platform_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def platform_list(as_json: bool) -> None:
    """List registered platforms."""
    from dataclasses import asdict

    from lti_tool.launch import registry

    platforms = registry.list_platforms()
    if as_json:
        click.echo(json.dumps([asdict(p) for p in platforms], indent=2))
        return
    if not platforms:
        click.echo("No platform registered. Add one with 'lti-tool platform add'.")
    for p in platforms:
        click.echo(
            f"{p.id}\t{p.status}\t{p.issuer}\tclient={p.client_id}\t"
            f"deployments={','.join(p.deployment_ids) or '-'}\t{p.name}"
        )


@platform_cli.command("remove")
@click.argument("platform_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def platform_remove(platform_id: int, yes: bool) -> None:
    """Remove a platform and everything Ritmo keeps for it."""
    from lti_tool.launch import registry

    if not yes:
        click.confirm(
            f"Remove platform {platform_id} and all its courses, users and programmes?", abort=True
        )
    try:
        registry.remove_platform(platform_id)
    except RitmoError as error:
        fail(error)
    click.echo(f"Platform {platform_id} removed.")


@platform_cli.command("approve")
@click.argument("platform_id", type=int)
def platform_approve(platform_id: int) -> None:
    """Let a pending (dynamically registered) platform launch Ritmo."""
    from lti_tool.launch import registry

    try:
        platform = registry.approve(platform_id)
    except RitmoError as error:
        fail(error)
    click.echo(f"Platform {platform_id} approved: {platform.issuer} (client {platform.client_id}), "
               f"keys from {platform.key_set_url}.")


@platform_cli.command("invite")
@click.option("--name", default="", help="A name for the platform this link will register.")
def platform_invite(name: str) -> None:
    """Print a single-use, expiring registration link; a registration through it is active at once."""
    from lti_tool.launch import invites

    invite, url = invites.create(name)
    hours = current_app.config["REGISTRATION_INVITE_HOURS"]
    click.echo(f"Registration link {invite.id}, usable once, for {hours} hours. Paste it in the "
               "LMS as the tool's registration URL (Moodle: Tool URL; Canvas: Dynamic "
               "Registration URL):")
    click.echo(url)


@keys_cli.command("rotate")
@click.option("--grace-days", type=int, default=None, help="How long the old key stays published.")
def keys_rotate(grace_days: int | None) -> None:
    """Sign with a new key from now on; the old one stays published for the grace period."""
    from lti_tool.launch import keys

    key = keys.rotate(grace_days)
    click.echo(f"New signing key {key.kid}. Old keys stay published for their grace period.")


@keys_cli.command("list")
def keys_list() -> None:
    """List published keys (never their private halves)."""
    import sqlalchemy as sa

    from lti_tool.db import db
    from lti_tool.launch.models import ToolKey

    for key in db.session.execute(sa.select(ToolKey).order_by(ToolKey.id)).scalars():
        state = "signing" if key.retired_at is None else f"retired, published until {key.expires_at}"
        click.echo(f"{key.kid}\t{key.created_at:%Y-%m-%d}\t{state}")


@jobs_cli.command("run")
def jobs_run() -> None:
    """Run background jobs in this process until interrupted (embedded mode)."""
    import time

    from lti_tool.jobs.runner import run_due_jobs

    click.echo("Running jobs; Ctrl+C to stop.")
    while True:
        if not run_due_jobs():
            time.sleep(current_app.config["JOBS_POLL_SECONDS"])


@jobs_cli.command("drain")
def jobs_drain() -> None:
    """Run every job that is due now, then exit."""
    from lti_tool.jobs.runner import drain

    click.echo(f"Ran {drain()} job(s).")


@mail_cli.command("receive")
def mail_receive() -> None:
    """Receive replies by e-mail over SMTP until interrupted (INBOUND_SMTP_HOST:INBOUND_SMTP_PORT)."""
    import threading

    from lti_tool.inbound.receiver import start_receiver, stop_receiver

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["INBOUND_MAIL_DOMAIN"]:
        click.echo("Replies by e-mail are off: set LTI_TOOL_INBOUND_MAIL_DOMAIN first.", err=True)
        sys.exit(1)
    receiver = start_receiver(app)
    if receiver is None:
        click.echo(
            f"Could not listen on {app.config['INBOUND_SMTP_HOST']}:{app.config['INBOUND_SMTP_PORT']}: "
            "another process has the port.",
            err=True,
        )
        sys.exit(1)
    domain = app.config["INBOUND_MAIL_DOMAIN"]
    click.echo(f"Receiving replies for @{domain} on port {receiver.port}; Ctrl+C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        stop_receiver(app)


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
# Threads, not one request per worker: an open chat waits for news in a request for up to
# CHAT_MAX_WAIT_SECONDS, and with sync workers a few open chats would hold every worker.
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per worker.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve Ritmo with gunicorn on the database LTI_TOOL_DATABASE_URL names."""
    from lti_tool.server import require_migrated, run_gunicorn

    require_migrated()
    run_gunicorn(host, port, workers, threads)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--lms-port", default=5001, show_default=True, type=int)
@click.option("--mail-port", default=1025, show_default=True, type=int, help="The demo's mail catcher.")
def demo(host: str, port: int, lms_port: int, mail_port: int) -> None:
    """Serve Ritmo and the built-in demo LMS, registered with each other, with a seeded programme."""
    from lti_tool.server import run_demo

    run_demo(host, port, lms_port, mail_port)


def register(app: Flask) -> None:
    for group in (db_cli, platform_cli, keys_cli, jobs_cli, mail_cli):
        app.cli.add_command(group)
    app.cli.add_command(serve)
    app.cli.add_command(demo)
    from lti_tool.accounts.commands import user_cli

    app.cli.add_command(user_cli)
    from lti_tool.grades.commands import register as register_grades; register_grades(app)  # noqa: E702,I001
