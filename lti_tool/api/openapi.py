"""The OpenAPI 3.1 document of Ritmo's API, generated from what the app serves.

Nothing here is written by hand per operation: the paths and methods come from ``app.url_map``
(every rule under ``/api/``), what each operation takes and answers from its view's
:func:`lti_tool.api.spec.document` declaration, and the shapes from the marshmallow schemas it
names (through apispec's MarshmallowPlugin). The errors every operation of a kind may answer are
added here, so declarations list only their own. The document is static for a process: it is
built once per app, on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import make_schema_key, resolve_schema_instance
from flask import Flask
from marshmallow import Schema
from werkzeug.routing import Rule
from werkzeug.routing.rules import parse_converter_args

from lti_tool.api import guide, versions
from lti_tool.api.spec import Operation, Response, exclusion_of, operation_of

PREFIX = "/api/"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Errors every operation of a kind may answer (see ``spec.Operation.errors``).
AUTH_ERRORS = (401, 403)
PATH_ERRORS = (404,)
WRITE_ERRORS = (400, 413, 415, 422, 429)
QUERY_ERRORS = (400, 422)
PROBLEM = "Problem"
VERSION_HEADER_REF = {"$ref": "#/components/headers/RitmoApiVersion"}
_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^>]*)\))?:)?(?P<name>\w+)>")
_EXTENSION = "ritmo_openapi"


class SchemaNameClash(RuntimeError):
    """Two different schema classes would be one component of the document."""


@dataclass(frozen=True)
class Route:
    """One method of one ``/api/...`` rule, and what its view declares."""

    rule: Rule
    method: str
    operation: Operation | None

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule} ({self.endpoint})"


def api_routes(app: Flask) -> Iterator[Route]:
    """Every method of every ``/api/...`` rule, except routes left out on purpose."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.rule.startswith(PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        if exclusion_of(view):
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield Route(rule, method, operation_of(view))


def undocumented(app: Flask) -> list[Route]:
    """The ``/api/...`` routes whose view carries no ``document(...)`` declaration."""
    return [route for route in api_routes(app) if route.operation is None]


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document for ``app``, built on first use and kept for the app's life."""
    kept = app.extensions.get(_EXTENSION)
    if kept is None:
        kept = app.extensions[_EXTENSION] = build(app)
    return kept


# -- building -------------------------------------------------------------------------------------


class _Names:
    """The schema name resolver: a component per schema class, named after the class."""

    def __init__(self) -> None:
        self.owners: dict[str, type[Schema] | None] = {PROBLEM: None}  # None: reserved

    def __call__(self, schema: type[Schema] | Schema | str) -> str | None:
        instance = resolve_schema_instance(schema)
        cls = type(instance)
        if make_schema_key(instance) != make_schema_key(cls()):
            return None  # a variant (only=, exclude=, partial=...) is written out where it is used
        name = cls.__name__.removesuffix("Schema") or cls.__name__
        owner = self.owners.setdefault(name, cls)
        if owner is not cls:
            first = "a name Ritmo reserves" if owner is None else f"{owner.__module__}.{owner.__qualname__}"
            raise SchemaNameClash(
                f"Two schemas would both be the component {name!r}: {first} and "
                f"{cls.__module__}.{cls.__qualname__}. Rename one (prefix it with its feature)."
            )
        return name


def build(app: Flask) -> dict[str, Any]:
    """Build the document (see the module's docstring); raises :class:`SchemaNameClash`."""
    spec = APISpec(
        title="Ritmo API",
        version=str(versions.CURRENT),
        openapi_version="3.1.0",
        # apispec passes schema instances too, though its hint names classes only.
        plugins=[MarshmallowPlugin(schema_name_resolver=_Names())],  # type: ignore[arg-type]
        info={"description": guide.DESCRIPTION},
        servers=[{"url": "/", "description": "This Ritmo"}],
    )
    by_path: dict[str, dict[str, Any]] = {}
    errors: set[int] = set()
    tags: set[str] = set()
    for route in api_routes(app):
        if route.operation is None:
            continue  # the contract test names these; the document shows what is declared
        by_path.setdefault(openapi_path(route.rule), {})[route.method.lower()] = _operation(route)
        errors |= default_errors(route)
        tags.update(route.operation.tags)
    _components(spec, errors)
    known = [t for t in guide.TAGS if t in tags]
    for tag in known + sorted(tags - set(known)):
        spec.tag({"name": tag, **({"description": guide.TAGS[tag]} if tag in guide.TAGS else {})})
    for path, operations in sorted(by_path.items()):
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _describe_cursors(document)
    return document


def openapi_path(rule: Rule) -> str:
    """``/api/matches/<int:match_id>/chat`` -> ``/api/v1/matches/{match_id}/chat``."""
    path = versions.versioned(rule.rule)
    return _VARIABLE.sub(lambda m: "{" + m["name"] + "}", path)


def path_parameters(rule: Rule) -> list[dict[str, Any]]:
    """The rule's variables as path parameters: ``int`` -> integer, ``any(a, b)`` -> enum."""
    parameters = []
    for match in _VARIABLE.finditer(rule.rule):
        args, kwargs = parse_converter_args(match["args"]) if match["args"] else ((), {})
        converter = match["converter"] or "default"
        schema: dict[str, Any]
        if converter == "int":
            schema = {
                "type": "integer",
                "minimum": kwargs.get("min", 0),
                "maximum": kwargs.get("max", versions.MAX_ID),
            }
        elif converter == "any":
            schema = {"type": "string", "enum": sorted(str(a) for a in args)}
        else:
            schema = {"type": "string", "pattern": "^[^/]+$"}
        parameters.append({"in": "path", "name": match["name"], "required": True, "schema": schema})
    return parameters


def _operation(route: Route) -> dict[str, Any]:
    op = route.operation
    assert op is not None
    methods = (route.rule.methods or set()) - IGNORED_METHODS
    operation: dict[str, Any] = {
        "operationId": op.operation_id or (
            route.endpoint if len(methods) == 1 else f"{route.endpoint}.{route.method.lower()}"
        ),
        "summary": op.summary,
        "tags": list(op.tags),
        "parameters": path_parameters(route.rule),
        "responses": _responses(route, op),
        "security": _security(op),
    }
    description = op.description
    if op.deprecated:
        operation["deprecated"] = True
        description = (description + "\n\n" + _deprecation_note(op)).strip()
    if description:
        operation["description"] = description
    if op.query is not None:
        operation["parameters"].append({"in": "query", "schema": op.query})
    if op.body is not None or op.body_kind == "csv":
        operation["requestBody"] = {"required": op.body_required, "content": _body_content(op)}
    return operation


def _body_content(op: Operation) -> dict[str, Any]:
    if op.body_kind == "csv":
        return {"text/csv": {"schema": {"type": "string"}}}
    media = "multipart/form-data" if op.body_kind == "multipart" else "application/json"
    return {media: {"schema": op.body}}


def _security(op: Operation) -> list[dict[str, list[str]]]:
    requirements: list[dict[str, list[str]]] = []
    for auth in op.auth:
        if auth == "none":
            requirements.append({})
        elif auth == "apiKey":
            requirements.append({"apiKey": list(op.scopes)})
        else:
            requirements.append({"session": []})
    return requirements


def default_errors(route: Route) -> set[int]:
    """The error statuses of ``route``: its kind's (auth, path, write, query) and its own."""
    op = route.operation
    assert op is not None
    errors = set(op.errors)
    if set(op.auth) - {"none"}:
        errors.update(AUTH_ERRORS)
    if route.rule.arguments:
        errors.update(PATH_ERRORS)
    if route.method in WRITES:
        errors.update(WRITE_ERRORS)
    if op.query is not None:
        errors.update(QUERY_ERRORS)
    return errors - set(op.responses)


def _responses(route: Route, op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, declared in sorted(op.responses.items()):
        answer = declared if isinstance(declared, Response) else Response(_phrase(status), declared)
        response: dict[str, Any] = {
            "description": answer.description,
            "headers": {"Ritmo-API-Version": VERSION_HEADER_REF, **_deprecation_headers(op)},
        }
        for name, text in answer.headers.items():
            response["headers"][name] = {"description": text, "schema": {"type": "string"}}
        if answer.schema is not None:
            response["content"] = {answer.media_type: {"schema": answer.schema}}
        elif answer.media_type != "application/json":
            response["content"] = {answer.media_type: {"schema": {"type": "string"}}}
        responses[str(status)] = response
    for status in sorted(default_errors(route)):
        responses[str(status)] = {"$ref": f"#/components/responses/{_problem_response_name(status)}"}
    return responses


def _deprecation_headers(op: Operation) -> dict[str, Any]:
    if not op.deprecated:
        return {}
    headers = {"Deprecation": {"$ref": "#/components/headers/Deprecation"}}
    if op.sunset:
        headers["Sunset"] = {"$ref": "#/components/headers/Sunset"}
    return headers


def _deprecation_note(op: Operation) -> str:
    since = op.deprecated if isinstance(op.deprecated, date) else None
    note = "**Deprecated**" + (f" since {since.isoformat()}" if since else "")
    if op.sunset:
        note += f"; it may stop working after {op.sunset.isoformat()} (the `Sunset` header)"
    return note + "."


def _phrase(status: int) -> str:
    return HTTPStatus(status).phrase


def _problem_response_name(status: int) -> str:
    return "".join(word.capitalize() for word in re.split(r"[\s-]+", _phrase(status)))


# -- shared components ----------------------------------------------------------------------------


def _components(spec: APISpec, errors: set[int]) -> None:
    spec.components.schema(PROBLEM, guide.PROBLEM_SCHEMA)
    spec.components.security_scheme("session", guide.SESSION_SCHEME)
    spec.components.security_scheme("apiKey", guide.API_KEY_SCHEME)
    spec.components.header("RitmoApiVersion", {
        "description": "The API version that answered (the path's `/api/v1`).",
        "schema": {"type": "string", "enum": [str(v) for v in versions.SUPPORTED]},
    })
    spec.components.header("Deprecation", {
        "description": "When this operation was deprecated (RFC 9745), as `@<Unix time>`.",
        "schema": {"type": "string"},
    })
    spec.components.header("Sunset", {
        "description": "After this HTTP date the operation may answer 410 (RFC 8594).",
        "schema": {"type": "string"},
    })
    spec.components.header("RetryAfter", {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    })
    for status in sorted(errors):
        spec.components.response(_problem_response_name(status), _problem_response(status))


def _problem_response(status: int) -> dict[str, Any]:
    headers: dict[str, Any] = {"Ritmo-API-Version": VERSION_HEADER_REF}
    if status in (429, 503):
        headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
    return {
        "description": guide.ERROR_MEANINGS.get(status, _phrase(status)),
        "headers": headers,
        "content": {"application/problem+json": {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
    }


def _describe_cursors(document: dict[str, Any]) -> None:
    """Say how to page on every cursor parameter that does not say it already."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                text = guide.CURSORS.get(parameter.get("name", ""))
                if parameter.get("in") == "query" and text and not parameter.get("description"):
                    parameter["description"] = text
