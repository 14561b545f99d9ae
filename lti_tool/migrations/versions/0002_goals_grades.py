"""goals and grades: milestones, goals, completions, event tallies, line items, score outbox

Revision ID: 0002_goals_grades
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0002_goals_grades"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('grade_line_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.String(length=255), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('score_maximum', sa.Double(), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_grade_line_item_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_line_item')),
    sa.UniqueConstraint('course_id', 'resource_id', name=op.f('uq_grade_line_item_course_id_resource_id'))
    )
    with op.batch_alter_table('grade_line_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_line_item_course_id'), ['course_id'], unique=False)

    op.create_table('event_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=32), nullable=False),
    sa.Column('event_name', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_event_tally_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_tally')),
    sa.UniqueConstraint('programme_id', 'scope_key', 'event_name', name=op.f('uq_event_tally_programme_id_scope_key_event_name'))
    )
    with op.batch_alter_table('event_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_tally_programme_id'), ['programme_id'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_offset_days', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('graded', sa.Boolean(), nullable=False),
    sa.Column('points', sa.Double(), nullable=False),
    sa.Column('completion_mode', sa.Enum('MANUAL', 'AUTOMATIC', name='completionmode', native_enum=False, length=16), nullable=False),
    sa.Column('requires_confirmation', sa.Boolean(), nullable=False),
    sa.Column('rule_event', sa.String(length=64), nullable=True),
    sa.Column('rule_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_milestone_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_programme_id'), ['programme_id'], unique=False)

    op.create_table('score_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('line_item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('score_given', sa.Double(), nullable=True),
    sa.Column('score_maximum', sa.Double(), nullable=False),
    sa.Column('activity_progress', sa.String(length=32), nullable=False),
    sa.Column('grading_progress', sa.String(length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('score_timestamp', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('delivered_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('PENDING', 'SENDING', 'DELIVERED', 'FAILED', name='deliverystate', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('delivered_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_item_id'], ['grade_line_item.id'], name=op.f('fk_score_outbox_line_item_id_grade_line_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_score_outbox_platform_id_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_score_outbox_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_outbox')),
    sa.UniqueConstraint('line_item_id', 'user_id', name=op.f('uq_score_outbox_line_item_id_user_id'))
    )
    with op.batch_alter_table('score_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_score_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_outbox_line_item_id'), ['line_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_outbox_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('measure', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('OPEN', 'IN_PROGRESS', 'ACHIEVED', 'DROPPED', name='goalstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user.id'], name=op.f('fk_goal_created_by_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['match_id'], ['match.id'], name=op.f('fk_goal_match_id_match'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_match_id'), ['match_id'], unique=False)

    op.create_table('goal_plan_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('agreed_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['match_id'], ['match.id'], name=op.f('fk_goal_plan_agreement_match_id_match'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_goal_plan_agreement_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_plan_agreement')),
    sa.UniqueConstraint('match_id', 'participant_id', name=op.f('uq_goal_plan_agreement_match_id_participant_id'))
    )
    with op.batch_alter_table('goal_plan_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_plan_agreement_match_id'), ['match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_plan_agreement_participant_id'), ['participant_id'], unique=False)

    op.create_table('milestone_completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('AWAITING_CONFIRMATION', 'COMPLETED', name='completionstate', native_enum=False, length=32), nullable=False),
    sa.Column('source', sa.Enum('MANUAL', 'RULE', name='completionsource', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('marked_by_user_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_user_id'], ['user.id'], name=op.f('fk_milestone_completion_confirmed_by_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['marked_by_user_id'], ['user.id'], name=op.f('fk_milestone_completion_marked_by_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['match_id'], ['match.id'], name=op.f('fk_milestone_completion_match_id_match'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_milestone_completion_milestone_id_milestone'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_milestone_completion_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_completion')),
    sa.UniqueConstraint('milestone_id', 'participant_id', name=op.f('uq_milestone_completion_milestone_id_participant_id'))
    )
    with op.batch_alter_table('milestone_completion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_completion_match_id'), ['match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_completion_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_completion_participant_id'), ['participant_id'], unique=False)

    op.create_table('goal_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['user.id'], name=op.f('fk_goal_note_author_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_goal_note_goal_id_goal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_note'))
    )
    with op.batch_alter_table('goal_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_note_goal_id'), ['goal_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('goal_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_note_goal_id'))

    op.drop_table('goal_note')
    with op.batch_alter_table('milestone_completion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_completion_participant_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_completion_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_completion_match_id'))

    op.drop_table('milestone_completion')
    with op.batch_alter_table('goal_plan_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_plan_agreement_participant_id'))
        batch_op.drop_index(batch_op.f('ix_goal_plan_agreement_match_id'))

    op.drop_table('goal_plan_agreement')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_match_id'))

    op.drop_table('goal')
    with op.batch_alter_table('score_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_outbox_user_id'))
        batch_op.drop_index(batch_op.f('ix_score_outbox_platform_id'))
        batch_op.drop_index(batch_op.f('ix_score_outbox_line_item_id'))
        batch_op.drop_index('ix_score_outbox_due')

    op.drop_table('score_outbox')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_programme_id'))

    op.drop_table('milestone')
    with op.batch_alter_table('event_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_tally_programme_id'))

    op.drop_table('event_tally')
    with op.batch_alter_table('grade_line_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_line_item_course_id'))

    op.drop_table('grade_line_item')
