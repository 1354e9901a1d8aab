"""site: a public version apart from the internal one

Revision ID: snapshot01
Revises: 1eb407b75e60
Create Date: 2026-12-02 00:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'snapshot01'
down_revision = '1eb407b75e60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('public_changed_at', sa.DateTime(),
                                      server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False))


def downgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('public_changed_at')
        batch_op.drop_column('public_version')
