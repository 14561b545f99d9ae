"""Support: private support requests, their messages, support staff, and the help pages (FAQ)

Revision ID: 0013_support
Revises: 0001_foundation
Create Date: 2026-12-07 05:20:00

A participant asks the programme's coordinators (or the support staff they name) for help in a
private thread with a response-time target; the programme's FAQ is kept in English and Italian.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0013_support"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, lti_tool.db.UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, referred: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "support_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("requester_user_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "ANSWERED", "CLOSED", name="requeststatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        _when("created_at", False),
        _when("last_message_at", False),
        _when("due_at", True),
        _when("warned_at", True),
        _when("overdue_at", True),
        _when("closed_at", True),
        _fk("support_request", "programme_id", "programme", "CASCADE"),
        _fk("support_request", "requester_user_id", "user", "CASCADE"),
        _fk("support_request", "match_id", "match", "SET NULL"),
        _fk("support_request", "assignee_user_id", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_request")),
    )
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.create_index("ix_support_request_programme_status", ["programme_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_request_requester_user_id"), ["requester_user_id"])
        batch_op.create_index(batch_op.f("ix_support_request_match_id"), ["match_id"])

    op.create_table(
        "support_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("from_support", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        _when("created_at", False),
        _fk("support_message", "request_id", "support_request", "CASCADE"),
        _fk("support_message", "author_user_id", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_message")),
    )
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_message_request_id"), ["request_id"])

    op.create_table(
        "support_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        _when("added_at", False),
        _fk("support_staff", "programme_id", "programme", "CASCADE"),
        _fk("support_staff", "user_id", "user", "CASCADE"),
        _fk("support_staff", "added_by_user_id", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_staff")),
        sa.UniqueConstraint("programme_id", "user_id", name=op.f("uq_support_staff_programme_id_user_id")),
    )
    with op.batch_alter_table("support_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_staff_user_id"), ["user_id"])

    op.create_table(
        "faq_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_en", sa.String(length=300), nullable=False),
        sa.Column("question_it", sa.String(length=300), nullable=False),
        sa.Column("answer_en", sa.Text(), nullable=False),
        sa.Column("answer_it", sa.Text(), nullable=False),
        sa.Column("answer_en_html", sa.Text(), nullable=False),
        sa.Column("answer_it_html", sa.Text(), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
        _fk("faq_entry", "programme_id", "programme", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entry")),
    )
    with op.batch_alter_table("faq_entry", schema=None) as batch_op:
        batch_op.create_index("ix_faq_entry_programme_position", ["programme_id", "position"], unique=False)


def downgrade() -> None:
    op.drop_table("faq_entry")
    op.drop_table("support_staff")
    op.drop_table("support_message")
    op.drop_table("support_request")
