"""Mail links: sign-in links in e-mail, quiet hours, e-mails tied to a match

Revision ID: 0015_mail_links
Revises: 0009_session_revocation
Create Date: 2026-12-07 05:20:00

``sign_in_link`` keeps the HMAC of each single-use link put in an e-mail (``identity.email_links``);
``email_preference`` gains quiet hours; ``notification`` gains the match it is about (its history
shows the e-mail), the course a sign-in link opens, and when a held e-mail is sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0015_mail_links"
down_revision = "0009_session_revocation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("renewed_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_sign_in_link_course_id_course"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_sign_in_link_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_link_token_hash")),
    )
    with op.batch_alter_table("sign_in_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_link_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_link_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.Time(), nullable=True))

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("course_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("email_after", lti_tool.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_match_id"), ["match_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_match_id_match"), "match", ["match_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_course_id_course"),
            "course",
            ["course_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notification_course_id_course"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_notification_match_id_match"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notification_match_id"))
        batch_op.drop_column("email_after")
        batch_op.drop_column("course_id")
        batch_op.drop_column("match_id")

    with op.batch_alter_table("email_preference", schema=None) as batch_op:
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")

    with op.batch_alter_table("sign_in_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_link_expires_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_link_user_id"))
    op.drop_table("sign_in_link")
