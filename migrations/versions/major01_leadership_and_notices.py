"""subscriber leadership preference; incident update kind (executive summaries); clock notices; update cadence

Revision ID: major01
Revises: practice01
Create Date: 2026-12-02 01:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'major01'
down_revision = 'practice01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leadership', sa.String(length=16), nullable=True))
    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='update', nullable=False))
    op.create_table(
        'clock_notice',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_table(
        'update_cadence',
        sa.Column('priority', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('update_minutes', sa.Integer(), nullable=True),
        sa.Column('summary_minutes', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('priority'),
    )


def downgrade():
    op.drop_table('update_cadence')
    op.drop_table('clock_notice')
    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_column('leadership')
