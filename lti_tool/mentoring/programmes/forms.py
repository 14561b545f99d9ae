"""Reading a request body the same way for the JSON API and the HTML forms in the frame."""

from __future__ import annotations

from typing import Any

from flask import request

from lti_tool.identity.session import FORM_FIELD

#: Form fields that carry several values (checkbox lists) and map to lists.
LIST_FIELDS = ("mentee_ids", "match_ids", "options")


def body() -> dict[str, Any]:
    """JSON body, or the form fields (without the session token; empty strings dropped)."""
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    out: dict[str, Any] = {}
    for key in request.form:
        if key == FORM_FIELD:
            continue
        if key in LIST_FIELDS:
            out[key] = [v for v in request.form.getlist(key) if v != ""]
        elif request.form[key] != "":
            out[key] = request.form[key]
    return out
