"""annotation frames: full frames with boxes, kept for tuning the detection model

One row per frame sent to annotation (from an event, a review item, the live view, the
recordings or an imported COCO / YOLO set); the image lives in `clips/annotations/`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'annotation_frame',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('camera', sa.String(length=64), nullable=True),
        sa.Column('frame_time', sa.Float(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('source_id', sa.String(length=64), nullable=True),
        sa.Column('label', sa.String(length=50), nullable=True),
        sa.Column('image', sa.String(length=80), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('false_positive', sa.Boolean(), nullable=True),
        sa.Column('boxes', sa.JSON(), nullable=False),
        sa.Column('suggestions', sa.JSON(), nullable=False),
        sa.Column('verified', sa.Boolean(), nullable=False),
        sa.Column('verified_at', sa.Float(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('annotation_frame', schema=None) as batch_op:
        batch_op.create_index('ix_annotation_frame_camera', ['camera'], unique=False)
        batch_op.create_index('ix_annotation_frame_frame_time', ['frame_time'], unique=False)
        batch_op.create_index('ix_annotation_frame_source_id', ['source_id'], unique=False)
        batch_op.create_index('ix_annotation_frame_verified', ['verified'], unique=False)
        batch_op.create_index('ix_annotation_frame_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('annotation_frame')
