"""Helpers every feature's pages share: the viewer's time zone, the template helpers that show times,
and the small form steps of an in-frame page (read the form or JSON body, redirect back signed in).

:func:`init_app` registers the template helpers once, from the application factory.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from marshmallow import ValidationError, fields, validate

from lti_tool import timezones
from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import InvalidInput, NotAuthenticated
from lti_tool.identity.context import LaunchContext
from lti_tool.identity.session import FORM_FIELD, current_context, session_url

#: The programme's zone for a launch: the last fallback of the viewer's zone (the programmes feature
#: registers it; this layer knows no programmes).
ZoneFallback = Callable[[LaunchContext], "str | None"]


def init_app(app: Flask) -> None:
    app.add_template_global(local_time)
    app.add_template_global(local_date)
    app.add_template_global(viewer_tz_known)
    app.add_template_global(viewer_zone_name)
    app.add_template_global(zone_shown)


def register_zone_fallback(app: Flask, fallback: ZoneFallback) -> None:
    """Name the zone times fall back to when the viewer has none (the programme's)."""
    app.extensions["ritmo_zone_fallback"] = fallback


# -- the viewer's time zone ------------------------------------------------------------------------


def _viewer_zone_saved() -> tuple[int, str | None] | None:
    """The person of this request and their saved zone, read once per request."""
    # Keyed by id, and plain values rather than the row: an application context (a test's, a CLI's)
    # may outlive one request, its person and its database session.
    user_id = current_context().user_id
    cached: tuple[int, tuple[int, str | None] | None] | None = g.get("ritmo_viewer")
    if cached is None or cached[0] != user_id:
        user = db.session.get(User, user_id)
        cached = g.ritmo_viewer = (user_id, (user.id, user.timezone) if user else None)
    return cached[1]


def _fallback_zone() -> str | None:
    """The programme's zone for this request's course, once per request."""
    if "ritmo_fallback_zone" not in g:
        fallback: ZoneFallback | None = current_app.extensions.get("ritmo_zone_fallback")
        g.ritmo_fallback_zone = fallback(current_context()) if fallback else None
    return cast("str | None", g.ritmo_fallback_zone)


def viewer_zone_name(
    fallback: str | None = None, *, entered_zone: str | None = None, entered_by: int | None = None
) -> str:
    """The zone this request's person sees times in, by :func:`timezones.reader_zone_name`: their
    saved one, else the browser's (``tz``), else ``fallback`` or the programme's; a time they entered
    themselves in ``entered_zone`` stays in it."""
    viewer = _viewer_zone_saved()
    name = timezones.reader_zone_name(
        viewer[1] if viewer else None,
        request.values.get("tz"),
        fallback or _fallback_zone(),
        reader_id=viewer[0] if viewer else None,
        entered_zone=entered_zone,
        entered_by=entered_by,
    )
    if entered_zone is None:
        g.ritmo_zone_shown = name
    return name


def zone_shown() -> str | None:
    """The zone this page showed its times in, if it showed any (pages without times read no zone:
    the launch's home among them)."""
    return cast("str | None", g.get("ritmo_zone_shown"))


def viewer_zone(fallback: str | None = None) -> ZoneInfo:
    """:func:`viewer_zone_name` as a zone."""
    return ZoneInfo(viewer_zone_name(fallback))


def local_time(
    value: datetime | None,
    style: str = "medium",
    *,
    entered_zone: str | None = None,
    entered_by: int | None = None,
) -> Any:
    """``value`` for the viewer, the one way a page shows a time: in their zone and language, with
    the zone's label (:func:`timezones.moment_text`; ``style`` ``medium``, ``long`` or ``time``)."""
    if value is None:
        return ""
    zone_name = viewer_zone_name(entered_zone=entered_zone, entered_by=entered_by)
    return Markup('<time datetime="{}">{}</time>').format(
        escape(value.isoformat()), timezones.moment_text(value, zone_name, style=style)
    )


def local_date(value: datetime | None) -> Any:
    """The date of ``value`` in the viewer's zone, in their language."""
    if value is None:
        return ""
    text = timezones.date_text(value, viewer_zone_name())
    return Markup('<time datetime="{}">{}</time>').format(escape(value.isoformat()), text)


def viewer_tz_known() -> bool:
    """Whether the person saved a zone of their own (pages otherwise offer to remember the browser's)."""
    try:
        viewer = _viewer_zone_saved()
    except NotAuthenticated:
        return True  # no one to ask: pages outside a session report no zone
    return bool(viewer and viewer[1])


# -- forms -----------------------------------------------------------------------------------------

#: Form fields that carry several values (checkbox lists) and map to lists.
LIST_FIELDS = ("mentee_ids", "match_ids", "options")


def body() -> dict[str, Any]:
    """JSON body, or the form fields (without the session token; empty strings dropped).

    The JSON API and the HTML forms in the frame read a request body the same way.
    """
    if request.is_json:
        data = request.get_json(silent=True)
        out: dict[str, Any] = data if isinstance(data, dict) else {}
    else:
        out = {}
        for key in request.form:
            if key == FORM_FIELD:
                continue
            if key in LIST_FIELDS:
                out[key] = [v for v in request.form.getlist(key) if v != ""]
            elif request.form[key] != "":
                out[key] = request.form[key]
    for key, value in out.items():
        if holds_nul(key) or holds_nul(value):
            raise InvalidInput(errors={str(key).replace(NUL, ""): [str(NUL_MESSAGE)]})
    return out


#: No database keeps this character (PostgreSQL refuses it) and nobody types it: text holding it is
#: refused at the door, before anything is written.
NUL = "\x00"
NUL_MESSAGE = _l("Remove the invisible NUL character (U+0000) from this text.")
#: The same rule for a query's text field (a pattern the API document shows).
NO_NUL = validate.Regexp(r"^[^\x00]*$", error=NUL_MESSAGE)


class Text(fields.String):
    """Text a person writes, as schemas take it: the NUL character is refused, naming the field
    (PostgreSQL can neither store nor search for it)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if NUL in text:
            raise ValidationError(str(NUL_MESSAGE))
        return text


def holds_nul(value: Any) -> bool:
    """Whether ``value`` (text, or lists and objects of it, as JSON brings) holds a NUL character."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


#: Ids are database integers: a larger number names no row.
MAX_ID = 2**31 - 1
#: A positive id, as schemas take one: past :data:`MAX_ID` it is refused (422), not looked up.
ID_RANGE = validate.Range(min=1, max=MAX_ID)


def form_id(value: Any) -> int:
    """The id a page's form names (a row it listed); 0, which names no row (so the lookup answers
    404), when what came back is not one."""
    text = str(value or "").strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    return number if number <= MAX_ID else 0


def form_data(*optional: str) -> dict[str, Any]:
    """The submitted form without the session field; empty optional fields are left out."""
    data = {k: v for k, v in request.form.items() if k != "ritmo_session"}
    return {k: v for k, v in data.items() if not (k in optional and v.strip() == "")}


def flat_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"options.1.label_en": [...]}`` for a page to list."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            out.update(flat_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]}


def back_to(endpoint: str, **values: Any) -> Response:
    """303 to ``endpoint`` after a form, carrying the session (``_anchor`` adds a fragment)."""
    return cast(Response, redirect(session_url(endpoint, **values), code=303))


def target_id(argument: str) -> int:
    """The id a course link's launch target names; a link that names none is the course's to fix."""
    try:
        return int(argument)
    except ValueError as error:
        raise InvalidInput(
            _("This course link points to nothing Ritmo knows. Ask your instructor to place it again.")
        ) from error
