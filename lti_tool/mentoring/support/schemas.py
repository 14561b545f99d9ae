"""Shapes of support requests, replies, help-page entries and settings, on the API and in forms.

Forms send attachments as one address per line (``links``); the API sends a list of
``{"url", "title"}``. Both arrive at the service as that list; the service checks the addresses.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from lti_tool.mentoring.support.models import RequestStatus
from lti_tool.web import MAX_ID, Text

#: Ids in bodies: a bound keeps an absurd number from reaching the database.


def _links(value: Any) -> Any:
    if isinstance(value, str):
        return [{"url": line.strip()} for line in value.splitlines() if line.strip()]
    return value


class _Form(Schema):
    #: Fields where a blank form value means "not given" (choices and numbers, not text).
    BLANK_IS_MISSING: tuple[str, ...] = ()

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def form_values(self, data: Any, **kwargs: Any) -> Any:
        """Form posts: a blank choice is absent; attachments come one per line."""
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if not isinstance(data, dict):
            return data
        out = {
            k: v
            for k, v in data.items()
            if not (k in self.BLANK_IS_MISSING and isinstance(v, str) and v.strip() == "")
        }
        if "links" in out:
            out["links"] = _links(out["links"])
        return out


class SupportLinkIn(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True, metadata={"description": "An http(s) address."})
    title = Text(load_default="")


_LINKS = {"description": "Web addresses to attach (forms send one address per line)."}


class SupportRequestIn(_Form):
    # Blank or missing text is the service's to refuse, with the words posts use.
    subject = Text(load_default="", metadata={"description": "Required in effect: a short title."})
    body = Text(load_default="", metadata={"description": "Required in effect: Markdown."})
    links = fields.List(fields.Nested(SupportLinkIn), load_default=list, metadata=_LINKS)
    match_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "One of the caller's own matches, when the request is about it."},
    )

    BLANK_IS_MISSING = ("match_id",)


class SupportReplyIn(_Form):
    body = Text(load_default="", metadata={"description": "Required in effect: Markdown."})
    links = fields.List(fields.Nested(SupportLinkIn), load_default=list, metadata=_LINKS)


class SupportAssignIn(_Form):
    # A user id, "me", or absent/"none" for back to the queue.
    assignee = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={
            "description": 'A support person\'s user id, "me", or "none" (or null, or absent) for back '
            "to the queue."
        },
    )

    BLANK_IS_MISSING = ("assignee",)


class SupportQueueQuery(_Form):
    status = fields.Enum(
        RequestStatus,
        by_value=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "Only requests in this state; all of them without it."},
    )

    BLANK_IS_MISSING = ("status",)


class SupportFaqIn(_Form):
    """An entry in each language: a question with its answer, or both blank; at least one language."""

    question_en = Text(load_default="")
    answer_en = Text(load_default="", metadata={"description": "Markdown."})
    question_it = Text(load_default="")
    answer_it = Text(load_default="", metadata={"description": "Markdown."})


class MoveIn(_Form):
    direction = fields.String(required=True, validate=validate.OneOf(["up", "down"]))


class SupportFaqOrderIn(_Form):
    order = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Every entry's id once, in the new order."},
    )


class SettingsIn(_Form):
    response_hours = fields.Integer(required=True)

    BLANK_IS_MISSING = ("response_hours",)


class StaffIn(_Form):
    user_id = fields.Integer(required=True)

    BLANK_IS_MISSING = ("user_id",)


class SupportLinkOut(Schema):
    url = fields.String(required=True)
    title = fields.String(required=True)


class SupportMessageOut(Schema):
    id = fields.Integer(required=True)
    author_user_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null once the author's account is erased."}
    )
    from_support = fields.Boolean(
        required=True, metadata={"description": "Written by the programme's support."}
    )
    body = fields.String(required=True)
    body_html = fields.String(required=True, metadata={"description": "The body rendered and sanitised."})
    links = fields.List(fields.Nested(SupportLinkOut), required=True)
    created_at = fields.DateTime(required=True)


class SupportRequestOut(Schema):
    id = fields.Integer(required=True)
    subject = fields.String(required=True)
    status = fields.Enum(RequestStatus, by_value=True, required=True)
    requester_user_id = fields.Integer(required=True)
    assignee_user_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null while it waits in the queue."}
    )
    match_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The match it is about."}
    )
    created_at = fields.DateTime(required=True)
    last_message_at = fields.DateTime(required=True)
    due_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When support should have answered; null once answered or closed."},
    )
    closed_at = fields.DateTime(required=True, allow_none=True)


class SupportRequestWithMessagesOut(SupportRequestOut):
    messages = fields.List(
        fields.Nested(SupportMessageOut), required=True, metadata={"description": "Oldest first."}
    )


class SupportRequestListOut(Schema):
    requests = fields.List(fields.Nested(SupportRequestOut), required=True)


class SupportFaqEntryOut(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True, metadata={"description": "Its place on the help page, from 1."})
    question_en = fields.String(required=True)
    answer_en = fields.String(required=True)
    answer_en_html = fields.String(required=True)
    question_it = fields.String(required=True)
    answer_it = fields.String(required=True)
    answer_it_html = fields.String(required=True)


class SupportFaqEntryListOut(Schema):
    entries = fields.List(
        fields.Nested(SupportFaqEntryOut), required=True, metadata={"description": "In the page's order."}
    )


class SupportShownEntryOut(Schema):
    id = fields.Integer(required=True)
    question = fields.String(required=True)
    answer_html = fields.String(required=True)
    language = fields.String(
        required=True,
        metadata={"description": "The language shown: the caller's, or the other when it has none."},
    )


class SupportShownEntryListOut(Schema):
    entries = fields.List(
        fields.Nested(SupportShownEntryOut), required=True, metadata={"description": "In the page's order."}
    )
