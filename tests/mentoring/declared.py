"""Check an API answer against what its view declares with ``document(...)``.

The declared output schema loads the answer back: a missing required field, a null where none is
allowed, a value of the wrong type or a field the schema does not name fails the test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from marshmallow import Schema

from lti_tool.api.spec import Response, operation_of


def declared(app: Flask, method: str, path: str, response: Any) -> Any:
    """The answer's JSON, once it is shown to be what the operation declares for its status."""
    endpoint, _args = app.url_map.bind("localhost").match(urlsplit(path).path, method=method)
    operation = operation_of(app.view_functions[endpoint])
    assert operation is not None, f"{method} {path} carries no document(...)"
    assert response.status_code in operation.responses, (
        f"{method} {path} answered {response.status_code}, declared {sorted(operation.responses)}"
    )
    schema = operation.responses[response.status_code]
    if isinstance(schema, Response):
        schema = schema.schema
    if schema is None:
        assert response.get_data() == b""
        return None
    instance: Schema = schema() if isinstance(schema, type) else schema
    body = response.get_json()
    instance.load(body)  # raises ValidationError, naming the field, when the answer strays
    return body
