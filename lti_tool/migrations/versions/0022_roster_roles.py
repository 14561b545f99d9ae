"""Roster roles: who set a participant's role, and the role the LMS last gave

Revision ID: 0022_roster_roles
Revises: 0010_match_lifecycle
Create Date: 2026-12-07 06:00:00

``participant.role_origin`` says whether the LMS, a mentors-only link, the person or the coordinator
set the current role (the LMS changes only what it set); ``participant.lms_role`` keeps what the
LMS last said, so a coordinator sees where it and Ritmo disagree. Existing roles count as the LMS's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_roster_roles"
down_revision = "0010_match_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.add_column(
            sa.Column(
                "role_origin",
                sa.Enum(
                    "LMS", "LINK", "SELF", "COORDINATOR", name="roleorigin", native_enum=False, length=16
                ),
                server_default="LMS",
                nullable=False,
            )
        )
        batch.add_column(
            sa.Column(
                "lms_role",
                sa.Enum(
                    "MENTEE", "MENTOR", "COORDINATOR", name="participantrole", native_enum=False, length=16
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("lms_role")
        batch.drop_column("role_origin")
