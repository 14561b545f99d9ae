"""Checking an API answer against the marshmallow schema its ``@document`` declares."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema


def conforms(schema: type[Schema] | Schema, body: Any, *, many: bool = False) -> None:
    """Fail unless ``body`` has every required field, no undeclared one, and the declared types."""
    instance = schema() if isinstance(schema, type) else schema
    errors = instance.validate(body, many=many)
    assert errors == {}, errors
