"""line items follow: a gradebook column's resource link and the revision the LMS holds

Revision ID: 0021_line_items_follow
Revises: 0002_goals_grades
Create Date: 2026-12-07 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_line_items_follow"
down_revision = "0002_goals_grades"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grade_line_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_link_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("synced_revision", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("grade_line_item", schema=None) as batch_op:
        batch_op.drop_column("synced_revision")
        batch_op.drop_column("revision")
        batch_op.drop_column("resource_link_id")
