"""the lane index holds pending deliveries only (claiming and sending no longer write to it)

Revision ID: i12b01
Revises: i12a01
Create Date: 2026-12-06 23:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'i12b01'
down_revision = 'i12a01'
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_lane')
        batch_op.create_index('ix_delivery_lane', ['channel', 'priority', 'seq'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_lane')
        batch_op.create_index('ix_delivery_lane', ['channel', 'state', 'priority', 'seq'], unique=False)
