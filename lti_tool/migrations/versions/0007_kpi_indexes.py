"""KPI dashboard: recent posts and chat messages by time, meetings by programme and start

Revision ID: 0007_kpi_indexes
Revises: 0003_relationship_space
Create Date: 2026-11-27 08:30:00

The dashboard's weekly counts read only the last 28 days of posts and chat messages (an index range,
not the whole table); its meeting counts read one programme's meetings by start time.
"""

from __future__ import annotations

from alembic import op

revision = "0007_kpi_indexes"
down_revision = "0003_relationship_space"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_conversation_post_created", "conversation_post", ["created_at", "thread_id"])
    op.create_index("ix_chat_message_created", "chat_message", ["created_at", "match_id"])
    op.create_index("ix_meeting_programme_start", "meeting", ["programme_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_meeting_programme_start", table_name="meeting")
    op.drop_index("ix_chat_message_created", table_name="chat_message")
    op.drop_index("ix_conversation_post_created", table_name="conversation_post")
