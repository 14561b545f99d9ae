"""``lti-tool grades status`` and ``lti-tool grades retry`` for admins."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from lti_tool.errors import RitmoError
from lti_tool.grades import service
from lti_tool.grades.models import DeliveryState

grades_cli = AppGroup("grades", help="Scores sent to LMS gradebooks (AGS).")


@grades_cli.command("status")
@click.option("--course-id", type=int, default=None, help="Only this Ritmo course id.")
@click.option("--failed", is_flag=True, help="List failed scores with the platform's reason.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def grades_status(course_id: int | None, failed: bool, as_json: bool) -> None:
    """How many scores are pending, being sent, delivered or failed."""
    counts = service.state_counts(course_id)
    rows = service.delivery_rows(course_id, DeliveryState.FAILED) if failed else []
    if as_json:
        click.echo(json.dumps({
            "counts": counts,
            "failed": [
                {"id": r.id, "line_item": r.line_item.label, "user_id": r.user_id,
                 "attempts": r.attempts, "status": r.last_status, "error": r.last_error}
                for r in rows
            ],
        }))
        return
    click.echo("  ".join(f"{state}={count}" for state, count in counts.items()))
    for r in rows:
        click.echo(f"{r.id}\t{r.line_item.label}\tuser={r.user_id}\tattempts={r.attempts}\t{r.last_error}")
    if counts.get("failed") and not failed:
        click.echo("Some scores failed: see why with --failed; send them again with 'lti-tool grades retry'.")


@grades_cli.command("retry")
@click.option("--course-id", type=int, default=None, help="Only this Ritmo course id.")
@click.option("--id", "outbox_id", type=int, default=None, help="Only this score (see status --failed).")
def grades_retry(course_id: int | None, outbox_id: int | None) -> None:
    """Send failed scores again (after fixing what the platform complained about)."""
    try:
        count = service.retry(course_id=course_id, outbox_id=outbox_id)
    except RitmoError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"Requeued {count} score(s); delivery jobs will send them.")


def register(app: Flask) -> None:
    app.cli.add_command(grades_cli)
