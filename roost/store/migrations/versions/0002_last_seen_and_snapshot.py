"""last_seen of open events and review segments; the event snapshot's own box

`last_seen` lets a start after a crash end the rows a previous run left open at the last
time their object (or activity) was seen. `event.snapshot` holds the snapshot frame's
`frame_time`, `box`, `area`, `region`, `score` and `attributes` (Frigate's `snapshot`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))
    with op.batch_alter_table('reviewsegment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reviewsegment', schema=None) as batch_op:
        batch_op.drop_column('last_seen')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('snapshot')
        batch_op.drop_column('last_seen')
