"""Settings: shipped defaults, then ``LTI_TOOL_*`` environment variables, then explicit overrides."""

from __future__ import annotations

import json
import logging.config
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "LTI_TOOL"


def load_settings(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the layers, in order of increasing precedence."""
    app.config.from_object("config.default")
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)

    data_dir = Path(app.config["DATA_DIR"] or app.instance_path)
    data_dir.mkdir(parents=True, exist_ok=True)
    app.config["DATA_DIR"] = str(data_dir)
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")

    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{data_dir / 'ritmo.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["DATABASE_URL"]))
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _instance_secret(data_dir)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs, as Heroku-style URLs name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # One writer at a time; wait for the lock instead of failing at once.
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def _instance_secret(data_dir: Path) -> str:
    """A per-installation random secret, kept out of the repository and never logged."""
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def configure_logging() -> None:
    """Apply ``config/logging.json`` (levels per logger; security events under ``lti_tool.security``)."""
    import config

    path = Path(config.__file__).resolve().parent / "logging.json"
    logging.config.dictConfig(json.loads(path.read_text()))
