"""one index for a subscriber's deliveries by incident and event (the claim's ordering check)

Revision ID: i12a01
Revises: i13a01
Create Date: 2026-12-02 07:45:00

"""
from alembic import op


revision = 'i12a01'
down_revision = 'i13a01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_subscriber_incident', ['subscriber_id', 'incident_id', 'event_id'],
                              unique=False)
        batch_op.drop_index('ix_delivery_subscriber_id')


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_subscriber_id', ['subscriber_id'], unique=False)
        batch_op.drop_index('ix_delivery_subscriber_incident')
