"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('classification_attempt',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=30), nullable=True),
    sa.Column('timestamp', sa.Float(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('classification_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_classification_attempt_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_classification_attempt_model'), ['model'], unique=False)
        batch_op.create_index(batch_op.f('ix_classification_attempt_timestamp'), ['timestamp'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.String(length=30), nullable=False),
    sa.Column('label', sa.String(length=50), nullable=False),
    sa.Column('sub_label', sa.String(length=100), nullable=True),
    sa.Column('sub_label_score', sa.Float(), nullable=True),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('start_time', sa.Float(), nullable=False),
    sa.Column('end_time', sa.Float(), nullable=True),
    sa.Column('top_score', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('false_positive', sa.Boolean(), nullable=False),
    sa.Column('zones', sa.JSON(), nullable=False),
    sa.Column('thumbnail', sa.Text(), nullable=True),
    sa.Column('has_clip', sa.Boolean(), nullable=False),
    sa.Column('has_snapshot', sa.Boolean(), nullable=False),
    sa.Column('retain_indefinitely', sa.Boolean(), nullable=False),
    sa.Column('box', sa.JSON(), nullable=True),
    sa.Column('region', sa.JSON(), nullable=True),
    sa.Column('area', sa.Integer(), nullable=True),
    sa.Column('ratio', sa.Float(), nullable=True),
    sa.Column('model_hash', sa.String(length=64), nullable=True),
    sa.Column('detector_type', sa.String(length=32), nullable=True),
    sa.Column('model_type', sa.String(length=32), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_camera'), ['camera'], unique=False)
        batch_op.create_index('ix_event_camera_start', ['camera', 'start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_end_time'), ['end_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_label'), ['label'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_retain_indefinitely'), ['retain_indefinitely'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_start_time'), ['start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_sub_label'), ['sub_label'], unique=False)

    op.create_table('export',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('date', sa.Float(), nullable=False),
    sa.Column('video_path', sa.String(length=512), nullable=False),
    sa.Column('thumb_path', sa.String(length=512), nullable=True),
    sa.Column('in_progress', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_camera'), ['camera'], unique=False)

    op.create_table('recordings',
    sa.Column('id', sa.String(length=30), nullable=False),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('start_time', sa.Float(), nullable=False),
    sa.Column('end_time', sa.Float(), nullable=False),
    sa.Column('duration', sa.Float(), nullable=False),
    sa.Column('motion', sa.Integer(), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('dBFS', sa.Integer(), nullable=True),
    sa.Column('segment_size', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path')
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_camera'), ['camera'], unique=False)
        batch_op.create_index('ix_recordings_camera_start', ['camera', 'start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_end_time'), ['end_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_start_time'), ['start_time'], unique=False)

    op.create_table('reviewsegment',
    sa.Column('id', sa.String(length=30), nullable=False),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('start_time', sa.Float(), nullable=False),
    sa.Column('end_time', sa.Float(), nullable=True),
    sa.Column('severity', sa.String(length=30), nullable=False),
    sa.Column('has_been_reviewed', sa.Boolean(), nullable=False),
    sa.Column('thumb_path', sa.String(length=512), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviewsegment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewsegment_camera'), ['camera'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviewsegment_end_time'), ['end_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviewsegment_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviewsegment_start_time'), ['start_time'], unique=False)

    op.create_table('timeline',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('timestamp', sa.Float(), nullable=False),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.String(length=30), nullable=True),
    sa.Column('class_type', sa.String(length=50), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_camera'), ['camera'], unique=False)
        batch_op.create_index(batch_op.f('ix_timeline_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timeline_timestamp'), ['timestamp'], unique=False)

    op.create_table('user',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )


def downgrade() -> None:
    op.drop_table('user')
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_timestamp'))
        batch_op.drop_index(batch_op.f('ix_timeline_source_id'))
        batch_op.drop_index(batch_op.f('ix_timeline_camera'))

    op.drop_table('timeline')
    with op.batch_alter_table('reviewsegment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewsegment_start_time'))
        batch_op.drop_index(batch_op.f('ix_reviewsegment_severity'))
        batch_op.drop_index(batch_op.f('ix_reviewsegment_end_time'))
        batch_op.drop_index(batch_op.f('ix_reviewsegment_camera'))

    op.drop_table('reviewsegment')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_start_time'))
        batch_op.drop_index(batch_op.f('ix_recordings_end_time'))
        batch_op.drop_index('ix_recordings_camera_start')
        batch_op.drop_index(batch_op.f('ix_recordings_camera'))

    op.drop_table('recordings')
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_camera'))

    op.drop_table('export')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_sub_label'))
        batch_op.drop_index(batch_op.f('ix_event_start_time'))
        batch_op.drop_index(batch_op.f('ix_event_retain_indefinitely'))
        batch_op.drop_index(batch_op.f('ix_event_label'))
        batch_op.drop_index(batch_op.f('ix_event_end_time'))
        batch_op.drop_index('ix_event_camera_start')
        batch_op.drop_index(batch_op.f('ix_event_camera'))

    op.drop_table('event')
    with op.batch_alter_table('classification_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_classification_attempt_timestamp'))
        batch_op.drop_index(batch_op.f('ix_classification_attempt_model'))
        batch_op.drop_index(batch_op.f('ix_classification_attempt_event_id'))

    op.drop_table('classification_attempt')
