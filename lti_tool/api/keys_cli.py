"""``lti-tool apikey create | list | show | revoke``: an admin's keys for the institution's systems."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from flask.cli import AppGroup

from lti_tool.api import keys, scopes
from lti_tool.db import utcnow
from lti_tool.errors import RitmoError

apikey_cli = AppGroup("apikey", help="API keys for the institution's systems (one platform's data each).")


def _fail(error: RitmoError) -> None:
    click.echo(f"Error: {error.detail}", err=True)
    for field, messages in (error.errors or {}).items():
        click.echo(f"  --{field.replace('_', '-')}: {' '.join(map(str, messages))}", err=True)
    sys.exit(2)


def _when(moment: datetime | None, unset: str = "-") -> str:
    return unset if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@apikey_cli.command("create")
@click.option(
    "--platform", "platform_id", type=int, required=True, help="The platform whose data the key reaches."
)
@click.option(
    "--scopes", "scope_list", required=True,
    help="Comma-separated: " + ", ".join(scopes.SCOPES) + ".",
)
@click.option("--name", default="", help="Which system uses it, e.g. 'Moodle block' or 'BI nightly'.")
@click.option("--expires-days", type=int, default=None, help="Refuse the key after this many days.")
def create(platform_id: int, scope_list: str, name: str, expires_days: int | None) -> None:
    """Make a key and print it once."""
    try:
        key, text = keys.create(platform_id, scope_list.split(","), name=name, expires_days=expires_days)
    except RitmoError as error:
        _fail(error)
    click.echo(f"API key {key.id} ({key.prefix}) for platform {key.platform_id}, "
               f"scopes {','.join(key.scopes)}, expires {_when(key.expires_at, 'never')}:")
    click.echo(text)
    click.echo("Copy it now: Ritmo keeps only a digest of it and cannot show it again. "
               "Send it in the X-API-Key header.", err=True)


@apikey_cli.command("list")
@click.option("--platform", "platform_id", type=int, default=None, help="Only this platform's keys.")
@click.option(
    "--uses", "per_key", type=int, default=0, show_default=True, help="Also show each key's last N calls."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_keys(platform_id: int | None, per_key: int, as_json: bool) -> None:
    """List keys (never their secrets)."""
    found = keys.listed(platform_id)
    uses = keys.recent_uses([k.id for k in found], per_key) if per_key > 0 else {}
    if as_json:
        click.echo(json.dumps([_as_json(k, uses.get(k.id, [])) for k in found], indent=2))
        return
    if not found:
        click.echo("No API key. Make one with 'lti-tool apikey create --platform ID --scopes ...'.")
    now = utcnow()
    for k in found:
        click.echo(
            f"{k.id}\t{k.prefix}\tplatform={k.platform_id}\t{k.state(now)}\t{','.join(k.scopes)}\t"
            f"created {_when(k.created_at)}\tlast used {_when(k.last_used_at)}\t"
            f"expires {_when(k.expires_at, 'never')}\t{k.name}"
        )
        _echo_uses(uses.get(k.id, []))


@apikey_cli.command("show")
@click.argument("key_id", type=int)
@click.option("--uses", "per_key", type=int, default=20, show_default=True, help="How many recent calls.")
def show(key_id: int, per_key: int) -> None:
    """One key and its recent calls."""
    try:
        key = keys.get(key_id)
    except RitmoError as error:
        _fail(error)
    click.echo(f"Key {key.id} ({key.prefix}) {key.name}")
    click.echo(f"  platform {key.platform_id}, {key.state()}, scopes {','.join(key.scopes)}")
    click.echo(f"  created {_when(key.created_at)}, last used {_when(key.last_used_at)}, "
               f"expires {_when(key.expires_at, 'never')}, revoked {_when(key.revoked_at, 'no')}")
    recent = keys.recent_uses([key.id], per_key)[key.id]
    if not recent:
        click.echo("  No call recorded.")
    _echo_uses(recent)


@apikey_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Refuse a key from its next call on."""
    try:
        key = keys.revoke(key_id)
    except RitmoError as error:
        _fail(error)
    click.echo(f"API key {key.id} ({key.prefix}) revoked at {_when(key.revoked_at)}.")


def _echo_uses(uses: list[keys.ApiKeyUse]) -> None:
    for use in uses:
        click.echo(f"    {_when(use.at)}\t{use.method} {use.path}\t{use.status}")


def _as_json(key: keys.ApiKey, uses: list[keys.ApiKeyUse]) -> dict[str, object]:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": key.id, "prefix": key.prefix, "platform_id": key.platform_id, "name": key.name,
        "scopes": key.scopes, "state": key.state(), "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at), "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "uses": [{"at": iso(u.at), "method": u.method, "path": u.path, "status": u.status} for u in uses],
    }
