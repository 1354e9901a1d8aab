"""delivery lanes (channel, priority, rank, incident) and per-destination circuit breakers

Revision ID: i13a01
Revises: review01
Create Date: 2026-12-02 04:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'i13a01'
down_revision = 'i10c01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expanded_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('incident_id', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_delivery_lane', ['channel', 'state', 'priority', 'seq'], unique=False)
    # Existing rows join their lane (the worker also fills any row left without a channel).
    op.execute("UPDATE delivery SET channel = (SELECT channel FROM subscriber WHERE subscriber.id = "
               "delivery.subscriber_id), incident_id = (SELECT incident_id FROM notification_event WHERE "
               "notification_event.id = delivery.event_id)")
    op.create_table(
        'delivery_breaker',
        sa.Column('destination', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=True),
        sa.Column('retry_at', sa.DateTime(), nullable=True),
        sa.Column('probe_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('destination'),
    )


def downgrade():
    op.drop_table('delivery_breaker')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_lane')
        batch_op.drop_column('incident_id')
        batch_op.drop_column('seq')
        batch_op.drop_column('priority')
        batch_op.drop_column('channel')
    with op.batch_alter_table('notification_event', schema=None) as batch_op:
        batch_op.drop_column('expanded_count')
