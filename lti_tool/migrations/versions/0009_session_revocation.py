"""Session revocation: a per-person stamp; sessions issued before it are refused

Revision ID: 0009_session_revocation
Revises: 0008_platform_invites
Create Date: 2026-12-07 03:05:00

Set when a person is erased, or their enrolment or role changes: every session token issued
before it stops working at once (``identity.revocation``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0009_session_revocation"
down_revision = "0008_platform_invites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sessions_valid_after", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("sessions_valid_after")
