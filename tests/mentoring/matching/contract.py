"""Check an API answer against the OpenAPI document: its status is one the operation documents,
its content type is the documented one, and its body matches the documented schema."""

from __future__ import annotations

from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.test import TestResponse

from lti_tool.api import openapi


def operation(app: Flask, method: str, path: str) -> dict[str, Any]:
    """The document's operation that answers ``method path`` (a path as called, ids filled in)."""
    adapter = app.url_map.bind("localhost")
    rule, _args = adapter.match(path.split("?", 1)[0], method=method, return_rule=True)
    return openapi.openapi_document(app)["paths"][openapi.openapi_path(rule)][method.lower()]


def conforms(app: Flask, method: str, path: str, response: TestResponse) -> TestResponse:
    """``response`` as the document says ``method path`` answers; returns it for chaining."""
    document = openapi.openapi_document(app)
    declared = operation(app, method, path)["responses"]
    status = str(response.status_code)
    assert status in declared, f"{method} {path} answered {status}, documented: {sorted(declared)}"
    answer = declared[status]
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer.get("content")
    if not content:
        assert not response.data, f"{method} {path} {status} has a body the document does not declare"
        return response
    media_type, described = next(iter(content.items()))
    assert response.mimetype == media_type, (
        f"{method} {path} {status}: {response.mimetype} is not {media_type}"
    )
    if media_type.endswith("json"):
        root = {**described["schema"], "components": document["components"]}
        errors = sorted(
            Draft202012Validator(root, format_checker=FormatChecker()).iter_errors(response.get_json()),
            key=lambda e: list(e.absolute_path),
        )
        assert not errors, f"{method} {path} {status}:\n" + "\n".join(
            f"  at {list(e.absolute_path)}: {e.message}" for e in errors[:10]
        )
    return response


class Caller:
    """API calls as the people of a test world, each answer checked against the document."""

    def __init__(self, app: Flask, client: Any, world: Any) -> None:
        self.app, self.client, self.world = app, client, world

    def __call__(self, user: Any, method: str, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.open(path, method=method, headers=self.world.headers(user), **kwargs)
        return conforms(self.app, method, path, response)
