"""user: session generation (ends other sessions) and must_change_password (temporary passwords)

Revision ID: accounts01
Revises: snapshot01
Create Date: 2026-12-02 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'accounts01'
down_revision = 'snapshot01'
branch_labels = None
depends_on = None


def upgrade():
    # Existing sessions hold a bare user id, which counts as generation 0: upgrading signs nobody out.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_generation')
