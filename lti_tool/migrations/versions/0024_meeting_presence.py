"""Meeting presence: who had a meeting's room open in Ritmo, and when; files attached to posts

Revision ID: 0024_meeting_presence
Revises: 0003_relationship_space
Create Date: 2026-12-07 06:10:00

Each row is one stretch of heartbeats from a member's open room page; a meeting both sides attended
at the same time (within its window) is recorded as held. ``post_attachment`` holds the files
attached to posts in match spaces (stored like content uploads, in their own private folder).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0024_meeting_presence"
down_revision = "0003_relationship_space"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_presence_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_meeting_presence_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_presence")),
    )
    with op.batch_alter_table("meeting_presence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_presence_meeting_seen", ["meeting_id", "last_seen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meeting_presence_user_id"), ["user_id"], unique=False)
    op.create_table(
        "post_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("uploader_user_id", sa.Integer(), nullable=True),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_post_attachment_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["conversation_post.id"],
            name=op.f("fk_post_attachment_post_id_conversation_post"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["conversation_thread.id"],
            name=op.f("fk_post_attachment_thread_id_conversation_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_user_id"],
            ["user.id"],
            name=op.f("fk_post_attachment_uploader_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_attachment")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_post_attachment_storage_name")),
    )
    with op.batch_alter_table("post_attachment", schema=None) as batch_op:
        batch_op.create_index("ix_post_attachment_thread", ["thread_id", "post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_attachment_match_id"), ["match_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_post_attachment_uploader_user_id"), ["uploader_user_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("post_attachment")
    with op.batch_alter_table("meeting_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_presence_user_id"))
        batch_op.drop_index("ix_meeting_presence_meeting_seen")
    op.drop_table("meeting_presence")
