"""Shapes of the attachments API: the upload (a multipart form) and the attachment it answers."""

from __future__ import annotations

from marshmallow import Schema, fields


class AttachmentsUploadIn(Schema):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "The file, with its name (the extension names its type).",
        },
    )


class AttachmentsAttachmentOut(Schema):
    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    file_name = fields.String(required=True)
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    url = fields.Function(
        lambda row: f"/attachments/{row.id}",
        deserialize=str,  # so that an answer loads back through this schema (the tests check it)
        required=True,
        metadata={"type": "string", "description": "Where the match's members download it."},
    )
