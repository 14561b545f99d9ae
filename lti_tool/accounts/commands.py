"""``lti-tool user``: a person's data, for the organisation's data-protection requests."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lti_tool.accounts import privacy
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import NotFound
from lti_tool.launch.models import Platform

user_cli = AppGroup("user", help="People: export a person's data, or erase it (GDPR).")


def _find(user_id: int | None, issuer: str | None, sub: str | None) -> int:
    if user_id is not None:
        return user_id
    if not (issuer and sub):
        click.echo("Error: give USER_ID, or --issuer and --sub as the LMS knows the person.", err=True)
        sys.exit(2)
    found = db.session.execute(
        sa.select(User.id).join(Platform, Platform.id == User.platform_id)
        .where(Platform.issuer == issuer, User.sub == sub)
    ).scalars().all()
    if not found:
        click.echo(f"Error: no person with sub {sub!r} from {issuer}.", err=True)
        sys.exit(1)
    if len(found) > 1:  # the same issuer registered with several client ids
        click.echo(f"Error: several people match ({', '.join(map(str, found))}); give USER_ID.", err=True)
        sys.exit(2)
    return int(found[0])


def _person_options(command: Any) -> Any:
    command = click.argument("user_id", type=int, required=False)(command)
    command = click.option("--issuer", help="The LMS's issuer, with --sub.")(command)
    return click.option("--sub", help="The person's id in that LMS (the launch's sub).")(command)


@user_cli.command("export")
@_person_options
@click.option("--output", type=click.File("w"), default="-", help="File to write (default: stdout).")
def user_export(user_id: int | None, issuer: str | None, sub: str | None, output: TextIO) -> None:
    """Write everything Ritmo holds about a person, as JSON."""
    try:
        data = privacy.export(_find(user_id, issuer, sub))
    except NotFound as error:
        click.echo(f"Error: {error.detail}", err=True)
        sys.exit(1)
    json.dump(data, output, indent=2, ensure_ascii=False)
    output.write("\n")


@user_cli.command("erase")
@_person_options
@click.option("--reason", default="", help="Why (kept in the audit log), e.g. the request's reference.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def user_erase(user_id: int | None, issuer: str | None, sub: str | None, reason: str, yes: bool) -> None:
    """Erase a person's identity and personal data for good (their matches stay, anonymous)."""
    target = _find(user_id, issuer, sub)
    if not yes:
        click.confirm(f"Erase person {target} for good? This cannot be undone.", abort=True)
    try:
        done = privacy.erase(target, reason=reason)
    except NotFound as error:
        click.echo(f"Error: {error.detail}", err=True)
        sys.exit(1)
    click.echo(
        f"Person {done.user_id} erased: {done.deleted_rows} personal rows deleted, "
        f"{done.blanked_texts} texts emptied, {done.scrubbed_rows} rows of others that named them "
        "cleaned; their sessions have ended."
    )
