"""monitoring in: alerts received from Alertmanager and Grafana, and how they map to components

Revision ID: i10a01
Revises: review01
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'i10a01'
down_revision = 'review01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('severities', sa.JSON(), nullable=False),
        sa.Column('other_status', sa.String(length=32), nullable=False),
        sa.Column('matchers', sa.JSON(), nullable=False),
        sa.Column('incident_template_id', sa.String(length=16), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['incident_template_id'], ['incident_template.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'received_alert',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('severity', sa.String(length=64), nullable=False),
        sa.Column('labels', sa.JSON(), nullable=False),
        sa.Column('component_id', sa.String(length=16), nullable=True),
        sa.Column('wanted_status', sa.String(length=32), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('incident_id', sa.String(length=16), nullable=True),
        sa.Column('first_seen_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('times_received', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['component_id'], ['component.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'fingerprint', 'starts_at', name='uq_received_alert_identity'),
    )
    op.create_index('ix_received_alert_component_status', 'received_alert', ['component_id', 'status'])
    op.create_index(op.f('ix_received_alert_last_seen_at'), 'received_alert', ['last_seen_at'])


def downgrade():
    op.drop_index(op.f('ix_received_alert_last_seen_at'), table_name='received_alert')
    op.drop_index('ix_received_alert_component_status', table_name='received_alert')
    op.drop_table('received_alert')
    op.drop_table('alert_settings')
