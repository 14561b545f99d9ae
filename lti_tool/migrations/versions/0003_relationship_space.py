"""relationship space: threads, posts, chat, read state, meetings, notifications

Revision ID: 0003_relationship_space
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0003_relationship_space"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("IMMEDIATE", "DIGEST", "OFF", name="emailmode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_email_preference_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_preference")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=1024), nullable=True),
        sa.Column("ics", sa.Text(), nullable=True),
        sa.Column(
            "email_state",
            sa.Enum(
                "PENDING", "QUEUED", "SKIPPED", "DIGESTED", name="emailstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_email_state", ["email_state", "user_id"], unique=False)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user_created", ["user_id", "created_at", "id"], unique=False)
    op.create_table(
        "space_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("space_key", sa.String(length=64), nullable=False),
        sa.Column("visit_started_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("previous_visit_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_space_visit_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_space_visit")),
        sa.UniqueConstraint("user_id", "space_key", name=op.f("uq_space_visit_user_id_space_key")),
    )
    op.create_table(
        "chat_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user.id"],
            name=op.f("fk_chat_message_author_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_chat_message_match_id_match"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_message")),
    )
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.create_index("ix_chat_message_match", ["match_id", "id"], unique=False)
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.create_index("ix_chat_message_match_created", ["match_id", "created_at", "id"], unique=False)
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.create_index("ix_chat_message_match_deleted", ["match_id", "deleted_at"], unique=False)
    op.create_table(
        "chat_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("last_read_message_id", sa.Integer(), nullable=False),
        sa.Column("last_notified_message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_chat_read_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_chat_read_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_read")),
        sa.UniqueConstraint("user_id", "match_id", name=op.f("uq_chat_read_user_id_match_id")),
    )
    with op.batch_alter_table("chat_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_read_match_id"), ["match_id"], unique=False)
    op.create_table(
        "conversation_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "DISCUSSION", "ANNOUNCEMENT", "QUESTION", name="threadkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_post_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_post_id", sa.Integer(), nullable=True),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user.id"],
            name=op.f("fk_conversation_thread_author_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_conversation_thread_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_conversation_thread_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_thread")),
    )
    with op.batch_alter_table("conversation_thread", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_thread_match_id"), ["match_id"], unique=False)
    with op.batch_alter_table("conversation_thread", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_thread_space_activity",
            ["programme_id", "match_id", "last_post_at", "id"],
            unique=False,
        )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("organiser_user_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("agenda_html", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PROPOSED",
                "CONFIRMED",
                "CANCELLED",
                "HELD",
                "MISSED",
                name="meetingstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("starts_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "video_provider",
            sa.Enum("JITSI", "ZOOM", "TEAMS", "MEET", name="videoprovider", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("video_url", sa.String(length=1024), nullable=False),
        sa.Column("ical_uid", sa.String(length=128), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("notes_html", sa.Text(), nullable=False),
        sa.Column("outcome_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_meeting_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organiser_user_id"],
            ["user.id"],
            name=op.f("fk_meeting_organiser_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_meeting_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["user.id"],
            name=op.f("fk_meeting_proposed_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("ical_uid", name=op.f("uq_meeting_ical_uid")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_match_created", ["match_id", "created_at", "id"], unique=False)
    op.create_table(
        "conversation_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("edit_count", sa.Integer(), nullable=False),
        sa.Column("deleted_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user.id"],
            name=op.f("fk_conversation_post_author_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_user_id"],
            ["user.id"],
            name=op.f("fk_conversation_post_deleted_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_conversation_post_match_id_match"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["conversation_post.id"],
            name=op.f("fk_conversation_post_parent_id_conversation_post"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["conversation_thread.id"],
            name=op.f("fk_conversation_post_thread_id_conversation_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_post")),
    )
    with op.batch_alter_table("conversation_post", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_post_match_created", ["match_id", "created_at", "id"], unique=False
        )
    with op.batch_alter_table("conversation_post", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_post_thread", ["thread_id", "id"], unique=False)
    op.create_table(
        "conversation_thread_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("last_read_post_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["conversation_thread.id"],
            name=op.f("fk_conversation_thread_read_thread_id_conversation_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_conversation_thread_read_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_thread_read")),
        sa.UniqueConstraint(
            "user_id", "thread_id", name=op.f("uq_conversation_thread_read_user_id_thread_id")
        ),
    )
    with op.batch_alter_table("conversation_thread_read", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_thread_read_thread_id"), ["thread_id"], unique=False
        )
    op.create_table(
        "meeting_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_slot_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_slot")),
    )
    with op.batch_alter_table("meeting_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_slot_meeting_id"), ["meeting_id"], unique=False)
    op.create_table(
        "conversation_post_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("written_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("editor_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["editor_user_id"],
            ["user.id"],
            name=op.f("fk_conversation_post_revision_editor_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["conversation_post.id"],
            name=op.f("fk_conversation_post_revision_post_id_conversation_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_post_revision")),
    )
    with op.batch_alter_table("conversation_post_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_post_revision_post_id"), ["post_id"], unique=False)


def downgrade() -> None:
    op.drop_table("conversation_post_revision")
    op.drop_table("meeting_slot")
    op.drop_table("conversation_thread_read")
    op.drop_table("conversation_post")
    op.drop_table("meeting")
    op.drop_table("conversation_thread")
    op.drop_table("chat_read")
    op.drop_table("chat_message")
    op.drop_table("space_visit")
    op.drop_table("notification")
    op.drop_table("email_preference")
