"""What an ``/api/...`` view declares about itself, for the OpenAPI document.

Every JSON operation carries one :func:`document` declaration next to its route; the document
(``lti_tool.api.openapi``) is generated from these declarations, the route's own path and
methods, and the marshmallow schemas named here. A route under ``/api/`` without one fails the
contract test, so the document cannot fall behind the code.

    @bp.post("/api/support/requests")
    @document(
        "Open a support request",
        tags=("support",),
        body=schemas.RequestIn,
        responses={201: schemas.RequestWithMessagesOut},
        errors=(409,),
    )
    @login_required
    def api_open(): ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeVar

from marshmallow import Schema

F = TypeVar("F", bound=Callable[..., Any])

#: A schema class, a schema instance (``Out(many=True)``), or None for "no body".
SchemaRef = type[Schema] | Schema | None
#: How the request body arrives: JSON (the default), a multipart form (uploads) or CSV text.
BodyKind = Literal["json", "multipart", "csv"]
#: Who may call: the launch's session token, an institution's API key (with scopes), or anyone.
Auth = Literal["session", "apiKey", "none"]

ATTRIBUTE = "__api_operation__"
#: Marks an ``/api/...`` route that is deliberately not an operation of the document (with why).
EXCLUDED = "__api_excluded__"


@dataclass(frozen=True)
class Response:
    """A response other than JSON: a file or text (``media_type``), or JSON with a description."""

    description: str
    schema: SchemaRef = None
    media_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)  # header name -> description


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    query: SchemaRef = None
    body: SchemaRef = None
    body_kind: BodyKind = "json"
    body_required: bool = True
    #: Success statuses: a schema for a JSON body, a :class:`Response`, or None (no body, e.g. 204).
    responses: Mapping[int, SchemaRef | Response] = field(default_factory=dict)
    #: Error statuses this operation answers beyond the ones every operation of its kind may
    #: answer (the generator adds those: 401/403 with auth, 404 with path parameters, 400/413/422/429
    #: for writes); every error is problem+json.
    errors: tuple[int, ...] = ()
    auth: tuple[Auth, ...] = ("session",)
    #: Scopes an API key needs for this operation (only with "apiKey" in ``auth``).
    scopes: tuple[str, ...] = ()
    #: False, or the date the operation was deprecated (its responses then carry ``Deprecation``).
    deprecated: bool | date = False
    #: The operation's id in the document; defaults to the Flask endpoint.
    operation_id: str | None = None
    #: The date after which a deprecated operation may answer 410 (``Sunset`` header, RFC 8594).
    sunset: date | None = None


def document(
    summary: str,
    *,
    description: str = "",
    tags: tuple[str, ...] = (),
    query: SchemaRef = None,
    body: SchemaRef = None,
    body_kind: BodyKind = "json",
    body_required: bool = True,
    responses: Mapping[int, SchemaRef | Response] | None = None,
    errors: tuple[int, ...] = (),
    auth: tuple[Auth, ...] = ("session",),
    scopes: tuple[str, ...] = (),
    deprecated: bool | date = False,
    operation_id: str | None = None,
    sunset: date | None = None,
) -> Callable[[F], F]:
    """Declare what this view takes and answers; see the module's example.

    A deprecated operation names the day it was deprecated (``deprecated=date(2027, 1, 15)``,
    sent in the ``Deprecation`` header) and, once known, the day it may go (``sunset=``); see the
    deprecation rule in ``docs/api.md``.
    """
    if deprecated is True:
        raise ValueError(
            f"{summary!r}: deprecated= takes the date the operation was deprecated "
            "(datetime.date), which its responses carry in the Deprecation header"
        )
    if sunset is not None and not deprecated:
        raise ValueError(f"{summary!r}: only a deprecated operation has a sunset date")
    operation = Operation(
        summary=summary,
        description=description,
        tags=tags,
        query=query,
        body=body,
        body_kind=body_kind,
        body_required=body_required,
        responses=dict(responses or {200: None}),
        errors=errors,
        auth=auth,
        scopes=scopes,
        deprecated=deprecated,
        operation_id=operation_id,
        sunset=sunset,
    )

    def declare(view: F) -> F:
        setattr(view, ATTRIBUTE, operation)
        return view

    return declare


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """The declaration of ``view`` (through any ``functools.wraps`` decorators), or None."""
    return getattr(view, ATTRIBUTE, None)


def undocumented(reason: str) -> Callable[[F], F]:
    """Leave an ``/api/...`` route out of the document on purpose; ``reason`` says why."""

    def mark(view: F) -> F:
        setattr(view, EXCLUDED, reason)
        return view

    return mark


def exclusion_of(view: Callable[..., Any]) -> str | None:
    """Why ``view`` is left out of the document, or None."""
    return getattr(view, EXCLUDED, None)
