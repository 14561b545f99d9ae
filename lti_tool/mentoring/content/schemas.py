"""Shapes of content module and item requests and answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from lti_tool.mentoring.content.models import ItemKind
from lti_tool.mentoring.webinars.models import Audience
from lti_tool.safety.urls import WebUrl
from lti_tool.web import ID_RANGE, MAX_ID, Text

#: Row ids and orders are 32-bit integers in the database: a larger number is a mistake, not a row.
POSITION_RANGE = validate.Range(min=-MAX_ID - 1, max=MAX_ID)


class ContentModuleCreateSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=255))
    description = Text(load_default="", validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    position = fields.Int(load_default=0, validate=POSITION_RANGE)
    published = fields.Bool(load_default=True)


class ContentModuleUpdateSchema(Schema):
    title = Text(validate=validate.Length(min=1, max=255))
    description = Text(validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True)
    position = fields.Int(validate=POSITION_RANGE)
    published = fields.Bool()


class ContentItemCreateSchema(Schema):
    module_id = fields.Int(load_default=None, allow_none=True, validate=ID_RANGE)
    webinar_id = fields.Int(
        load_default=None, allow_none=True, validate=ID_RANGE,
        metadata={"description": "A webinar the item is material of; give this, `module_id`, or both."},
    )
    kind = fields.Enum(ItemKind, by_value=True, required=True)
    title = Text(required=True, validate=validate.Length(min=1, max=255))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    position = fields.Int(load_default=0, validate=POSITION_RANGE)
    body = Text(
        load_default="", validate=validate.Length(max=100000),
        metadata={"description": "Markdown; required for a `text` item."},
    )
    url = WebUrl(
        load_default=None, allow_none=True, metadata={"description": "For `link` and `video` items."}
    )


class ContentItemUploadSchema(ContentItemCreateSchema):
    """The multipart form of a new item: its fields, and the file of a ``file`` item."""

    file = fields.Raw(
        load_only=True,
        metadata={"type": "string", "format": "binary", "description": "The file of a `file` item."},
    )


class ContentItemUpdateSchema(Schema):
    title = Text(validate=validate.Length(min=1, max=255))
    audience = fields.Enum(Audience, by_value=True)
    position = fields.Int(validate=POSITION_RANGE)
    body = Text(validate=validate.Length(max=100000))
    url = WebUrl()


class ContentItemViewSchema(Schema):
    """An item as the caller sees it (``ItemView``)."""

    id = fields.Int(required=True, attribute="item.id")
    module_id = fields.Int(required=True, attribute="item.module_id", allow_none=True)
    webinar_id = fields.Int(required=True, attribute="item.webinar_id", allow_none=True)
    kind = fields.Enum(ItemKind, by_value=True, required=True, attribute="item.kind")
    title = fields.Str(required=True, attribute="item.title")
    audience = fields.Enum(Audience, by_value=True, required=True, attribute="item.audience")
    html = fields.Str(required=True, metadata={"description": "A text item's words as HTML; else empty."})
    url = fields.Str(required=True, attribute="item.url", allow_none=True)
    embed_url = fields.Str(required=True, attribute="item.embed_url", allow_none=True)
    file_name = fields.Str(required=True, attribute="item.file_name", allow_none=True)
    size_bytes = fields.Int(required=True, attribute="item.size_bytes", allow_none=True)
    download_url = fields.Str(
        required=True, allow_none=True, metadata={"description": "A file item's protected download."}
    )
    viewed = fields.Bool(required=True)
    completed = fields.Bool(required=True)

    @pre_dump
    def with_download(self, view: Any, **kwargs: Any) -> dict[str, Any]:
        item = view.item
        download = f"/content/items/{item.id}/file" if item.storage_name else None
        return {
            "item": item, "html": view.html, "viewed": view.viewed, "completed": view.completed,
            "download_url": download,
        }


class ContentModuleViewSchema(Schema):
    id = fields.Int(required=True, attribute="module.id")
    title = fields.Str(required=True, attribute="module.title")
    description = fields.Str(required=True, attribute="module.description")
    description_html = fields.Str(required=True)
    audience = fields.Enum(Audience, by_value=True, required=True, attribute="module.audience")
    published = fields.Bool(required=True, attribute="module.published")
    completed_count = fields.Int(required=True, metadata={"description": "Items the caller completed."})
    is_complete = fields.Bool(required=True)
    items = fields.List(fields.Nested(ContentItemViewSchema), required=True)


class ContentModuleListSchema(Schema):
    modules = fields.List(fields.Nested(ContentModuleViewSchema), required=True)


class ContentModuleSchema(Schema):
    id = fields.Int(required=True)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    audience = fields.Enum(Audience, by_value=True, required=True)
    position = fields.Int(required=True)
    published = fields.Bool(required=True)
