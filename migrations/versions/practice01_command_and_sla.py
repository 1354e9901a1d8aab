"""incident: who acknowledged and when it was mitigated; SLA targets per priority

Revision ID: practice01
Revises: leaks01
Create Date: 2026-12-02 00:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'practice01'
down_revision = 'leaks01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mitigated_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_incident_acknowledged_by_id_user', 'user', ['acknowledged_by_id'],
                                    ['id'], ondelete='SET NULL')
    op.create_table(
        'sla_target',
        sa.Column('priority', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('acknowledge_minutes', sa.Integer(), nullable=True),
        sa.Column('resolve_minutes', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('priority'),
    )


def downgrade():
    op.drop_table('sla_target')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_constraint('fk_incident_acknowledged_by_id_user', type_='foreignkey')
        batch_op.drop_column('mitigated_at')
        batch_op.drop_column('acknowledged_by_id')
