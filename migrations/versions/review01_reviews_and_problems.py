"""post-incident reviews; problem symptom and known error; action item link

Revision ID: review01
Revises: major01
Create Date: 2026-12-02 01:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'review01'
down_revision = 'major01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incident_review',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('incident_id', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('timeline', sa.Text(), nullable=False),
        sa.Column('contributing_factors', sa.Text(), nullable=False),
        sa.Column('root_cause', sa.Text(), nullable=False),
        sa.Column('went_well', sa.Text(), nullable=False),
        sa.Column('went_badly', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id'),
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('symptom', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('known_error', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_column('link')
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_column('known_error')
        batch_op.drop_column('symptom')
    op.drop_table('incident_review')
