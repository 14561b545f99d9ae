"""Shapes of support requests, replies, help-page entries and settings, on the API and in forms.

Forms send attachments as one address per line (``links``); the API sends a list of
``{"url", "title"}``. Both arrive at the service as that list; the service checks the addresses.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from lti_tool.mentoring.support.models import RequestStatus


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


class LinkIn(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True)
    title = fields.String(load_default="")


class RequestIn(_Form):
    # Blank or missing text is the service's to refuse, with the words posts use.
    subject = fields.String(load_default="")
    body = fields.String(load_default="")
    links = fields.List(fields.Nested(LinkIn), load_default=list)
    match_id = fields.Integer(load_default=None, allow_none=True)

    BLANK_IS_MISSING = ("match_id",)


class ReplyIn(_Form):
    body = fields.String(load_default="")
    links = fields.List(fields.Nested(LinkIn), load_default=list)


class AssignIn(_Form):
    # A user id, "me", or absent/"none" for back to the queue.
    assignee = fields.String(load_default=None, allow_none=True)

    BLANK_IS_MISSING = ("assignee",)


class QueueQuery(_Form):
    status = fields.Enum(RequestStatus, by_value=True, load_default=None, allow_none=True)

    BLANK_IS_MISSING = ("status",)


class FaqIn(_Form):
    question_en = fields.String(load_default="")
    answer_en = fields.String(load_default="")
    question_it = fields.String(load_default="")
    answer_it = fields.String(load_default="")


class MoveIn(_Form):
    direction = fields.String(required=True, validate=validate.OneOf(["up", "down"]))


class OrderIn(_Form):
    order = fields.List(fields.Integer(), required=True)


class SettingsIn(_Form):
    response_hours = fields.Integer(required=True)

    BLANK_IS_MISSING = ("response_hours",)


class StaffIn(_Form):
    user_id = fields.Integer(required=True)

    BLANK_IS_MISSING = ("user_id",)


class MessageOut(Schema):
    id = fields.Integer()
    author_user_id = fields.Integer(allow_none=True)
    from_support = fields.Boolean()
    body = fields.String()
    body_html = fields.String()
    links = fields.List(fields.Dict())
    created_at = fields.DateTime()


class RequestOut(Schema):
    id = fields.Integer()
    subject = fields.String()
    status = fields.Enum(RequestStatus, by_value=True)
    requester_user_id = fields.Integer()
    assignee_user_id = fields.Integer(allow_none=True)
    match_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    last_message_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class RequestWithMessagesOut(RequestOut):
    messages = fields.List(fields.Nested(MessageOut))


class FaqEntryOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    question_en = fields.String()
    answer_en = fields.String()
    answer_en_html = fields.String()
    question_it = fields.String()
    answer_it = fields.String()
    answer_it_html = fields.String()


class ShownEntryOut(Schema):
    id = fields.Integer()
    question = fields.String()
    answer_html = fields.String()
    language = fields.String()
