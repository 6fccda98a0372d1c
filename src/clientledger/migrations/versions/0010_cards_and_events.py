"""Cards on file, the events outbox and its webhook deliveries, processor events in.

- ``clients.processor_customer``: the processor's customer (Stripe's ``cus_...``) holding the
  client's saved cards; ``cards``: each saved card as the processor describes it (no number).
- ``events``: the outbox, written with each money movement; ``webhook_endpoints``,
  ``webhook_deliveries`` (one event to one endpoint until a 2xx) and ``webhook_attempts`` (the
  delivery log).
- ``charge_directory`` (global): which practice a processor charge belongs to, filled from the
  existing card payments; ``processor_events`` (global): each processor event by its id.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.String(length=32)
_PENDING = sa.text("status = 'pending'")
_UNDISPATCHED = sa.text("dispatched_at IS NULL")
_FILL_CHARGES = """
INSERT INTO charge_directory (charge_id, practice_id)
SELECT charge_id, MIN(practice_id) FROM payments WHERE charge_id IS NOT NULL GROUP BY charge_id
"""


def _practice() -> sa.Column[str]:
    return sa.Column("practice_id", _ID, nullable=False)


def _practice_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["practice_id"], ["practices.id"], name=f"fk_{table}_practice_id_practices")


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["practice_id", column],
        [f"{target}.practice_id", f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))  # see 0007
    op.add_column("clients", sa.Column("processor_customer", sa.String(length=100), nullable=True))
    op.create_table(
        "cards",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("client_id", _ID, nullable=False),
        sa.Column("processor", sa.String(length=20), nullable=False),
        sa.Column("payment_method", sa.String(length=255), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=True),
        sa.Column("exp_year", sa.Integer(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _practice_fk("cards"),
        _ref("cards", "client_id", "clients"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_cards"),
        sa.UniqueConstraint("practice_id", "client_id", "payment_method", name="uq_cards_client_payment_method"),
    )
    op.create_index("ix_cards_client", "cards", ["practice_id", "client_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("credit_balance", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        _practice_fk("events"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_events"),
    )
    op.create_index("ix_events_practice_type", "events", ["practice_id", "type", "id"], unique=False)
    op.create_index(
        "ix_events_undispatched",
        "events",
        ["practice_id", "id"],
        unique=False,
        sqlite_where=_UNDISPATCHED,
        postgresql_where=_UNDISPATCHED,
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        _practice_fk("webhook_endpoints"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_webhook_endpoints"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("endpoint_id", _ID, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status in ('pending', 'delivered', 'abandoned')", name=op.f("ck_webhook_deliveries_status")
        ),
        _practice_fk("webhook_deliveries"),
        _ref("webhook_deliveries", "endpoint_id", "webhook_endpoints"),
        _ref("webhook_deliveries", "event_id", "events"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("practice_id", "endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["practice_id", "next_attempt_at"],
        unique=False,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("delivery_id", _ID, nullable=False),
        sa.Column("endpoint_id", _ID, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        _practice_fk("webhook_attempts"),
        _ref("webhook_attempts", "delivery_id", "webhook_deliveries"),
        _ref("webhook_attempts", "endpoint_id", "webhook_endpoints"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_webhook_attempts"),
    )
    op.create_index(
        "ix_webhook_attempts_endpoint",
        "webhook_attempts",
        ["practice_id", "endpoint_id", "attempted_at"],
        unique=False,
    )
    op.create_table(
        "charge_directory",
        sa.Column("charge_id", sa.String(length=100), nullable=False),
        _practice(),
        _practice_fk("charge_directory"),
        sa.PrimaryKeyConstraint("charge_id", name="pk_charge_directory"),
    )
    op.execute(sa.text(_FILL_CHARGES))
    op.create_table(
        "processor_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("practice_id", _ID, nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        _practice_fk("processor_events"),
        sa.PrimaryKeyConstraint("id", name="pk_processor_events"),
    )


def downgrade() -> None:
    op.drop_table("processor_events")
    op.drop_table("charge_directory")
    op.drop_index("ix_webhook_attempts_endpoint", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_events_undispatched", table_name="events")
    op.drop_index("ix_events_practice_type", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_cards_client", table_name="cards")
    op.drop_table("cards")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("processor_customer")
