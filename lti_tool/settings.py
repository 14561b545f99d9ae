"""Settings: shipped defaults, then ``LTI_TOOL_*`` environment variables, then explicit overrides."""

from __future__ import annotations

import json
import logging.config
import os
import secrets
from pathlib import Path
from typing import Any, get_type_hints

from flask import Config, Flask

from lti_tool.private_files import private_dir

ENV_PREFIX = "LTI_TOOL"


def load_settings(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the layers, in order of increasing precedence."""
    app.config.from_object("config.default")
    app.config.from_prefixed_env(ENV_PREFIX)
    coerce_declared(app.config)
    if overrides:
        app.config.update(overrides)

    data_dir = private_dir(Path(app.config["DATA_DIR"] or app.instance_path))
    app.config["DATA_DIR"] = str(data_dir)
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")

    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{data_dir / 'ritmo.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["DATABASE_URL"]))
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _instance_secret(data_dir)


def declared_settings() -> dict[str, Any]:
    """The settings ``config/default.py`` declares, by name, with their defaults."""
    import config.default as defaults

    return {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}


def coerce_declared(config: Config) -> None:
    """Give each declared setting the type of its default (or its ``str | None`` annotation).

    ``from_prefixed_env`` reads a value as JSON when it parses and as a string otherwise, so
    ``LTI_TOOL_CHAT_MAX_WAIT_SECONDS=5`` is an int, ``=[1, 2]`` a list and ``=a.edu,b.edu`` a
    string. Lists also take comma-separated strings; booleans take true/false, yes/no, on/off, 1/0.
    """
    import config.default as defaults

    optional_text = {n for n, t in get_type_hints(defaults).items() if t == str | None}
    for name, default in declared_settings().items():
        value = config.get(name)
        if value is None or type(value) is type(default):
            continue
        if default is None:
            if name in optional_text and not isinstance(value, str):
                config[name] = json.dumps(value)  # a numeric-looking password is still text
            continue
        try:
            config[name] = _coerce(value, default)
        except (TypeError, ValueError):
            raise ValueError(
                f"{ENV_PREFIX}_{name} must be {_kind(default)} like {json.dumps(default)}, not {value!r}."
            ) from None


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _coerce(value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        word = str(value).strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValueError(word)
        return word in _TRUE
    if isinstance(value, bool) and isinstance(default, (int, float)):
        raise TypeError("a boolean is not a number")
    if isinstance(default, int):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, str):
        return value if isinstance(value, str) else json.dumps(value)
    if isinstance(default, (list, tuple)):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, (list, tuple)):
            raise TypeError(value)
        if isinstance(default, tuple):  # fixed shape, e.g. (connect, read) timeouts
            return tuple(_coerce(v, d) for v, d in zip(value, default, strict=True))
        return list(value)
    raise TypeError(value)  # dicts (and anything else) must arrive as their JSON form


def _kind(default: Any) -> str:
    kinds = {bool: "true or false", int: "a whole number", float: "a number", str: "text",
             list: "a comma-separated or JSON list", tuple: "a JSON list", dict: "a JSON object"}
    return kinds.get(type(default), type(default).__name__)


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
    # No pool_pre_ping: init_db pings only connections that sat idle (see ``_ping_after_idle``).
    return {"pool_size": 10, "max_overflow": 10}


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
