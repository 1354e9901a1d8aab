"""Data only: existing rows follow the visibility rules, and the outbox holds no SMS code

- an update of an incident that is internal now was written for staff: it becomes internal, so making the
  incident public later cannot publish it;
- a component in an internal group is internal, so ungrouping it or deleting the group cannot publish it;
- confirmation events lose the SMS code they carried in clear. A code already sent keeps working (its hash is
  still on the subscriber); a confirmation not yet sent gets a fresh seed, and the worker derives the code
  from it when it sends (``domain.subscription_tokens.confirmation_code``).

No schema change, and nothing to undo on downgrade (the old code reads these rows as they are).

Revision ID: leaks01
Revises: accounts01
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "leaks01"
down_revision = "accounts01"
branch_labels = None
depends_on = None

incident = sa.table("incident", sa.column("id", sa.String), sa.column("visibility", sa.String))
incident_update = sa.table("incident_update", sa.column("incident_id", sa.String),
                           sa.column("visibility", sa.String))
group = sa.table("component_group", sa.column("id", sa.String), sa.column("visibility", sa.String))
component = sa.table("component", sa.column("group_id", sa.String), sa.column("visibility", sa.String))
event = sa.table("notification_event", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                 sa.column("subscriber_id", sa.Integer), sa.column("payload", sa.JSON),
                 sa.column("expanded_at", sa.DateTime))
delivery = sa.table("delivery", sa.column("event_id", sa.Integer), sa.column("state", sa.String))
subscriber = sa.table("subscriber", sa.column("id", sa.Integer), sa.column("confirmed_at", sa.DateTime),
                      sa.column("confirmation_code_hash", sa.String),
                      sa.column("confirmation_attempts", sa.Integer))


def upgrade():
    conn = op.get_bind()
    internal_incidents = sa.select(incident.c.id).where(incident.c.visibility == "internal")
    conn.execute(incident_update.update().where(incident_update.c.incident_id.in_(internal_incidents))
                 .values(visibility="internal"))
    internal_groups = sa.select(group.c.id).where(group.c.visibility == "internal")
    conn.execute(component.update().where(component.c.group_id.in_(internal_groups))
                 .values(visibility="internal"))

    rows = conn.execute(sa.select(event.c.id, event.c.subscriber_id, event.c.payload, event.c.expanded_at)
                        .where(event.c.kind == "subscription.confirm")).all()
    for row in rows:
        payload = dict(row.payload or {})
        if "code" not in payload:
            continue
        del payload["code"]
        conn.execute(event.update().where(event.c.id == row.id).values(payload=payload))
        unsent = row.expanded_at is None or conn.execute(sa.select(sa.func.count()).select_from(delivery).where(
            delivery.c.event_id == row.id, delivery.c.state.in_(("pending", "claimed")))).scalar()
        if unsent and row.subscriber_id is not None:
            conn.execute(subscriber.update().where(subscriber.c.id == row.subscriber_id,
                                                   subscriber.c.confirmed_at.is_(None))
                         .values(confirmation_code_hash="seed:" + secrets.token_hex(16),
                                 confirmation_attempts=0))


def downgrade():
    pass
