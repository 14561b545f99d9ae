"""bilingual texts: profile questions and milestones keep their texts in each programme language

Revision ID: 0023_bilingual_texts
Revises: 0002_goals_grades, 0006_profiles_matching
Create Date: 2026-12-07 06:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_bilingual_texts"
down_revision = ("0002_goals_grades", "0006_profiles_matching")
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("profile_question", "milestone"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("texts", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    for table in ("milestone", "profile_question"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("texts")
