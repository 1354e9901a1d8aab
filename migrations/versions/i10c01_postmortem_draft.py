"""postmortem draft (the management API's body_draft)

Revision ID: i10c01
Revises: review01
Create Date: 2026-12-02 04:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'i10c01'
down_revision = 'i10a01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postmortem_draft', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('postmortem_draft_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('postmortem_draft_at')
        batch_op.drop_column('postmortem_draft')
