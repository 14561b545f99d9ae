"""training: webinars, content, gates

Revision ID: 0005_training
Revises: 0001_foundation
Create Date: 2026-11-27 00:03:19.071896
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = '0005_training'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('content_module',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('audience', sa.Enum('MENTORS', 'MENTEES', 'EVERYONE', name='audience', native_enum=False, length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_content_module_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_module'))
    )
    with op.batch_alter_table('content_module', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_module_programme_id'), ['programme_id'], unique=False)

    op.create_table('webinar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('audience', sa.Enum('MENTORS', 'MENTEES', 'EVERYONE', name='audience', native_enum=False, length=16), nullable=False),
    sa.Column('starts_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('host_user_id', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('join_provider', sa.Enum('JITSI', 'ZOOM', 'TEAMS', 'BIGBLUEBUTTON', name='joinprovider', native_enum=False, length=16), nullable=False),
    sa.Column('join_url', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.Enum('SCHEDULED', 'CANCELLED', name='webinarstatus', native_enum=False, length=16), nullable=False),
    sa.Column('series_key', sa.String(length=32), nullable=True),
    sa.Column('recording_url', sa.String(length=1024), nullable=True),
    sa.Column('slides_url', sa.String(length=1024), nullable=True),
    sa.Column('ics_sequence', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user.id'], name=op.f('fk_webinar_created_by_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_user_id'], ['user.id'], name=op.f('fk_webinar_host_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_webinar_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar'))
    )
    with op.batch_alter_table('webinar', schema=None) as batch_op:
        batch_op.create_index('ix_webinar_programme_start', ['programme_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webinar_series_key'), ['series_key'], unique=False)

    op.create_table('content_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('webinar_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('TEXT', 'LINK', 'VIDEO', 'FILE', name='itemkind', native_enum=False, length=16), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('audience', sa.Enum('MENTORS', 'MENTEES', 'EVERYONE', name='audience', native_enum=False, length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=True),
    sa.Column('embed_url', sa.String(length=1024), nullable=True),
    sa.Column('storage_name', sa.String(length=64), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=128), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['content_module.id'], name=op.f('fk_content_item_module_id_content_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_content_item_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webinar_id'], ['webinar.id'], name=op.f('fk_content_item_webinar_id_webinar'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_item')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_content_item_storage_name'))
    )
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_item_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_webinar_id'), ['webinar_id'], unique=False)

    op.create_table('training_gate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('MENTEE', 'MENTOR', 'COORDINATOR', name='participantrole', native_enum=False, length=16), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('webinar_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(module_id IS NULL) <> (webinar_id IS NULL)', name=op.f('ck_training_gate_one_requirement')),
    sa.ForeignKeyConstraint(['module_id'], ['content_module.id'], name=op.f('fk_training_gate_module_id_content_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_training_gate_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webinar_id'], ['webinar.id'], name=op.f('fk_training_gate_webinar_id_webinar'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_gate'))
    )
    with op.batch_alter_table('training_gate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_gate_programme_id'), ['programme_id'], unique=False)

    op.create_table('webinar_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webinar_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('REGISTERED', 'WAITLISTED', 'CANCELLED', name='registrationstatus', native_enum=False, length=16), nullable=False),
    sa.Column('registered_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attended_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attendance_source', sa.Enum('JOIN_LINK', 'HOST', 'CSV', name='attendancesource', native_enum=False, length=16), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_webinar_registration_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webinar_id'], ['webinar.id'], name=op.f('fk_webinar_registration_webinar_id_webinar'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar_registration')),
    sa.UniqueConstraint('webinar_id', 'participant_id', name=op.f('uq_webinar_registration_webinar_id_participant_id'))
    )
    with op.batch_alter_table('webinar_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webinar_registration_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_webinar_registration_queue', ['webinar_id', 'status', 'registered_at'], unique=False)

    op.create_table('webinar_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webinar_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('DAY_BEFORE', 'HOUR_BEFORE', 'PROMOTED', name='reminderkind', native_enum=False, length=16), nullable=False),
    sa.Column('sent_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('emailed', sa.Boolean(), nullable=False),
    sa.Column('read_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_webinar_reminder_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webinar_id'], ['webinar.id'], name=op.f('fk_webinar_reminder_webinar_id_webinar'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar_reminder')),
    sa.UniqueConstraint('webinar_id', 'participant_id', 'kind', name=op.f('uq_webinar_reminder_webinar_id_participant_id_kind'))
    )
    with op.batch_alter_table('webinar_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webinar_reminder_participant_id'), ['participant_id'], unique=False)

    op.create_table('content_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['content_item.id'], name=op.f('fk_content_progress_item_id_content_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_content_progress_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_progress')),
    sa.UniqueConstraint('item_id', 'participant_id', name=op.f('uq_content_progress_item_id_participant_id'))
    )
    with op.batch_alter_table('content_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_progress_participant_id'), ['participant_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('content_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_progress_participant_id'))

    op.drop_table('content_progress')
    with op.batch_alter_table('webinar_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webinar_reminder_participant_id'))

    op.drop_table('webinar_reminder')
    with op.batch_alter_table('webinar_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_webinar_registration_queue')
        batch_op.drop_index(batch_op.f('ix_webinar_registration_participant_id'))

    op.drop_table('webinar_registration')
    with op.batch_alter_table('training_gate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_gate_programme_id'))

    op.drop_table('training_gate')
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_item_webinar_id'))
        batch_op.drop_index(batch_op.f('ix_content_item_programme_id'))
        batch_op.drop_index(batch_op.f('ix_content_item_module_id'))

    op.drop_table('content_item')
    with op.batch_alter_table('webinar', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webinar_series_key'))
        batch_op.drop_index('ix_webinar_programme_start')

    op.drop_table('webinar')
    with op.batch_alter_table('content_module', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_module_programme_id'))

    op.drop_table('content_module')

