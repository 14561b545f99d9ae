"""Shapes of content module and item requests and answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lti_tool.mentoring.content.models import ItemKind
from lti_tool.mentoring.webinars.models import Audience
from lti_tool.safety.urls import WebUrl


class ModuleCreateSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=255))
    description = fields.Str(load_default="", validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    position = fields.Int(load_default=0)
    published = fields.Bool(load_default=True)


class ModuleUpdateSchema(Schema):
    title = fields.Str(validate=validate.Length(min=1, max=255))
    description = fields.Str(validate=validate.Length(max=20000))
    audience = fields.Enum(Audience, by_value=True)
    position = fields.Int()
    published = fields.Bool()


class ItemCreateSchema(Schema):
    module_id = fields.Int(load_default=None, allow_none=True)
    webinar_id = fields.Int(load_default=None, allow_none=True)
    kind = fields.Enum(ItemKind, by_value=True, required=True)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=255))
    audience = fields.Enum(Audience, by_value=True, load_default=Audience.EVERYONE)
    position = fields.Int(load_default=0)
    body = fields.Str(load_default="", validate=validate.Length(max=100000))
    url = WebUrl(load_default=None, allow_none=True)


class ItemUpdateSchema(Schema):
    title = fields.Str(validate=validate.Length(min=1, max=255))
    audience = fields.Enum(Audience, by_value=True)
    position = fields.Int()
    body = fields.Str(validate=validate.Length(max=100000))
    url = WebUrl()


class ItemViewSchema(Schema):
    id = fields.Int(attribute="item.id")
    module_id = fields.Int(attribute="item.module_id", allow_none=True)
    webinar_id = fields.Int(attribute="item.webinar_id", allow_none=True)
    kind = fields.Function(lambda v: v.item.kind.value)
    title = fields.Str(attribute="item.title")
    audience = fields.Function(lambda v: v.item.audience.value)
    html = fields.Str()
    url = fields.Str(attribute="item.url", allow_none=True)
    embed_url = fields.Str(attribute="item.embed_url", allow_none=True)
    file_name = fields.Str(attribute="item.file_name", allow_none=True)
    size_bytes = fields.Int(attribute="item.size_bytes", allow_none=True)
    download_url = fields.Function(
        lambda v: f"/content/items/{v.item.id}/file" if v.item.storage_name else None
    )
    viewed = fields.Bool()
    completed = fields.Bool()


class ModuleViewSchema(Schema):
    id = fields.Int(attribute="module.id")
    title = fields.Str(attribute="module.title")
    description = fields.Str(attribute="module.description")
    description_html = fields.Str()
    audience = fields.Function(lambda v: v.module.audience.value)
    published = fields.Bool(attribute="module.published")
    completed_count = fields.Int()
    is_complete = fields.Bool()
    items = fields.List(fields.Nested(ItemViewSchema))


class ModuleSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    description = fields.Str()
    audience = fields.Function(lambda m: m.audience.value)
    position = fields.Int()
    published = fields.Bool()
