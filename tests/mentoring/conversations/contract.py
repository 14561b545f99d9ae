"""Calling the API and checking each answer against what its operation declares (``@document``).

A success must have a declared status (an error is problem+json); a JSON body must load through
the declared schema with no field missing or undeclared (output schemas mark the fields always
present ``required``); a file must come with the declared media type; a status declared without a
body has none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from marshmallow import Schema

from lti_tool.api.spec import Response, operation_of


def declared(app: Flask, method: str, path: str) -> Any:
    endpoint, _args = app.url_map.bind("localhost").match(urlsplit(path).path, method)
    operation = operation_of(app.view_functions[endpoint])
    assert operation is not None, f"{method} {path} ({endpoint}) declares nothing"
    return operation


def conforms(app: Flask, method: str, path: str, response: Any) -> None:
    operation = declared(app, method, path)
    status = response.status_code
    if status >= 400:
        assert response.mimetype == "application/problem+json", (method, path, status)
        return
    assert status in operation.responses, (method, path, status, response.get_data(as_text=True)[:500])
    answer = operation.responses[status]
    schema = answer.schema if isinstance(answer, Response) else answer
    media_type = answer.media_type if isinstance(answer, Response) else "application/json"
    if schema is None:
        if media_type == "application/json":
            assert response.get_data() == b"", (method, path, status)
        else:
            assert response.mimetype == media_type, (method, path, response.mimetype)
        return
    assert response.mimetype == media_type, (method, path, response.mimetype)
    instance = schema() if isinstance(schema, type) else schema
    assert isinstance(instance, Schema)
    errors = instance.validate(response.get_json())
    assert errors == {}, (method, path, errors)


def call(client: Any, method: str, path: str, **kwargs: Any) -> Any:
    """``client.open`` the API, then check the answer against the declaration; returns the response."""
    response = client.open(path, method=method, **kwargs)
    conforms(client.application, method, path, response)
    return response
