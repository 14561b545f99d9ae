"""profiles and matching: questionnaire, answers, match runs, unmatched reasons, mentee requests

Revision ID: 0006_profiles_matching
Revises: 0001_foundation
Create Date: 2026-11-27 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = '0006_profiles_matching'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('profile_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('TAGS', 'SINGLE_CHOICE', 'MULTI_CHOICE', 'LANGUAGES', 'TIMEZONE', 'AVAILABILITY', 'LEVEL', 'DEPARTMENT', 'FREE_TEXT', 'SCALE', name='questionkind', native_enum=False, length=16), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('help', sa.Text(), nullable=False),
    sa.Column('audience', sa.Enum('EVERYONE', 'MENTORS', 'MENTEES', name='audience', native_enum=False, length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Double(), nullable=False),
    sa.Column('constraint', sa.Enum('MUST_SHARE', 'MUST_DIFFER', 'AT_MOST', name='constraint', native_enum=False, length=16), nullable=True),
    sa.Column('limit', sa.Double(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_profile_question_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_question')),
    sa.UniqueConstraint('programme_id', 'key', name=op.f('uq_profile_question_programme_id_key'))
    )
    with op.batch_alter_table('profile_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_question_programme_id'), ['programme_id'], unique=False)

    op.create_table('profile_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_profile_answer_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['profile_question.id'], name=op.f('fk_profile_answer_question_id_profile_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_answer')),
    sa.UniqueConstraint('participant_id', 'question_id', name=op.f('uq_profile_answer_participant_id_question_id'))
    )
    with op.batch_alter_table('profile_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_answer_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_profile_answer_question_id'), ['question_id'], unique=False)

    op.create_table('match_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('QUEUED', 'RUNNING', 'DONE', 'FAILED', name='runstate', native_enum=False, length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('requested_by_user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_match_run_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['user.id'], name=op.f('fk_match_run_requested_by_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_run'))
    )
    with op.batch_alter_table('match_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_run_programme_id'), ['programme_id'], unique=False)

    op.create_table('match_unmatched',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_match_unmatched_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['match_run.id'], name=op.f('fk_match_unmatched_run_id_match_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_unmatched'))
    )
    with op.batch_alter_table('match_unmatched', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_unmatched_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_unmatched_run_id'), ['run_id'], unique=False)

    op.create_table('match_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'WITHDRAWN', name='requeststatus', native_enum=False, length=16), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('expires_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participant.id'], name=op.f('fk_match_request_mentee_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['participant.id'], name=op.f('fk_match_request_mentor_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_match_request_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_request'))
    )
    with op.batch_alter_table('match_request', schema=None) as batch_op:
        batch_op.create_index('ix_match_request_mentee_status', ['mentee_id', 'status'], unique=False)
        batch_op.create_index('ix_match_request_mentor_status', ['mentor_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_request_programme_id'), ['programme_id'], unique=False)

    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.Enum('COMPLETED', 'REMATCH', 'COORDINATOR', 'REMOVED', name='endreason', native_enum=False, length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_match_run_id'), ['run_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_match_run_id_match_run'), 'match_run', ['run_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('match_mentee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('explanation', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('locked', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('match_mentee', schema=None) as batch_op:
        batch_op.drop_column('locked')
        batch_op.drop_column('explanation')
        batch_op.drop_column('score')
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_match_run_id_match_run'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_match_run_id'))
        batch_op.drop_column('end_reason')
        batch_op.drop_column('run_id')
    op.drop_table('match_request')
    op.drop_table('match_unmatched')
    op.drop_table('match_run')
    op.drop_table('profile_answer')
    op.drop_table('profile_question')
