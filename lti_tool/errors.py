"""Domain errors and the one place that turns any error into a response.

Services raise :class:`RitmoError` subclasses; views never build error responses themselves. Inside the
LMS frame a person gets an HTML page saying what went wrong and what to do next; API clients get
``application/problem+json`` (RFC 9457) with the same words.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from lti_tool.db import db

log = logging.getLogger(__name__)


class RitmoError(Exception):
    """Base of every error a person can act on. Subclasses carry a default status and message."""

    status = 400
    title = _l("Bad request")
    default_detail = _l("The request could not be processed.")

    def __init__(self, detail: str | None = None, *, errors: dict[str, Any] | None = None, **extra: Any):
        self.detail = str(detail or self.default_detail)
        self.errors = errors
        self.extra = extra
        super().__init__(self.detail)


class InvalidInput(RitmoError):
    status = 422
    title = _l("Invalid input")
    default_detail = _l("Some fields are missing or invalid; correct them and try again.")


class NotAuthenticated(RitmoError):
    status = 401
    title = _l("Session expired")
    default_detail = _l("Your Ritmo session has expired or is missing. Open Ritmo again from your course.")


class Forbidden(RitmoError):
    status = 403
    title = _l("Not allowed")
    default_detail = _l(
        "You do not have access to this. Ask your course coordinator if you think you should."
    )


class NotFound(RitmoError):
    status = 404
    title = _l("Not found")
    default_detail = _l("This item does not exist or was removed.")


class Conflict(RitmoError):
    status = 409
    title = _l("Conflict")
    default_detail = _l("This conflicts with existing data.")


class TooManyRequests(RitmoError):
    status = 429
    title = _l("Too many requests")
    default_detail = _l("You are doing that too often. Wait a moment and try again.")


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def problem_response(status: int, title: str, detail: str, **members: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in members.items() if v is not None})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def error_response(status: int, title: str, detail: str, **members: Any) -> Response | tuple[str, int]:
    if wants_json():
        return problem_response(status, title, detail, **members)
    # A refused form that its page does not show again itself: what to correct, and the way back
    # to the form (ritmo.js fills it in again as typed).
    said = sentences(members.get("errors")) if status == 422 else []
    back = status == 422 and request.method == "POST"
    page = render_template("error.html", status=status, title=title, detail=detail, errors=said, back=back)
    return page, status


def sentences(errors: Any) -> list[str]:
    """A refusal's (nested) messages as a list of sentences, without the fields' API names: for
    a reader who never saw those names (an error page, an e-mail's reply)."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in sentences(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in sentences(value)]
    return [str(errors)] if errors else []


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(RitmoError)
    def handle_ritmo_error(error: RitmoError):
        # Nothing half-written stays, and rendering the answer cannot flush it (a flush guard
        # would raise the same refusal again, as a 500).
        db.session.rollback()
        headers = error.extra.pop("headers", None)
        response = error_response(
            error.status, str(error.title), error.detail, errors=error.errors, **error.extra
        )
        if headers:
            if isinstance(response, tuple):
                return response[0], response[1], headers
            response.headers.update(headers)
        return response

    @app.errorhandler(ValidationError)
    def handle_validation_error(error: ValidationError):
        db.session.rollback()
        messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        return error_response(
            422,
            _("Invalid input"),
            _("Some fields are missing or invalid; correct them and try again."),
            errors=messages,
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        return error_response(error.code or 500, error.name, error.description or "")

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500,
            _("Something went wrong"),
            _("Ritmo hit an unexpected error. Try again; if it persists, tell your course coordinator."),
        )
