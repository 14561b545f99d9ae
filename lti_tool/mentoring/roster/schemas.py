"""Shapes of the roster on the API: a sync's outcome, a CSV import's counts (``...Out``; the view
dumps through them, so the schema is the answer the API document shows)."""

from __future__ import annotations

from marshmallow import Schema, fields


class RosterImportIn(Schema):
    """A CSV file as a multipart form (``text/csv`` as the whole body works too)."""

    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "UTF-8 CSV with a user_id column and the columns of the export.",
        },
    )


class RosterImportOut(Schema):
    rows = fields.Integer(required=True, metadata={"description": "People in the file."})
    added = fields.Integer(required=True, metadata={"description": "New participants."})
    updated = fields.Integer(required=True, metadata={"description": "Participants already there."})


class RosterQueuedOut(Schema):
    queued = fields.Boolean(required=True)


class RosterSyncOut(Schema):
    """The last sync from the LMS: its counts when it worked, the LMS's reason when it failed."""

    at = fields.String(required=True, metadata={"format": "date-time"})
    members = fields.Integer(metadata={"description": "Course members the LMS listed."})
    added = fields.Integer()
    updated = fields.Integer()
    withdrawn = fields.Integer(metadata={"description": "Participants who left the course."})
    error = fields.String(metadata={"description": "Why the sync failed, in the LMS's words."})
    tries = fields.Integer(metadata={"description": "Failed tries in a row."})
    retry_at = fields.String(metadata={"format": "date-time", "description": "When Ritmo tries again."})
    gave_up = fields.Boolean(metadata={"description": "Ritmo stopped retrying; sync again by hand."})


class RosterStatusOut(Schema):
    last_sync = fields.Nested(
        RosterSyncOut, required=True, allow_none=True, metadata={"description": "null: never synced."}
    )
