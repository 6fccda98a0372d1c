"""Prepaid session packages and households.

- ``credit_lots.source`` may be ``package``: the lot a package's price went into, which pays only
  that package's sessions. ``packages`` holds each package (``sessions_used`` and
  ``sessions_remaining`` are projections of its lot and its draws); ``package_sessions`` each
  session a bill drew, with its credit line and the discount line covering the rest of the fee.
- ``ix_line_lots_lot``: a lot's draws, which count a package's sessions.
- ``households`` and ``household_members`` (a client is the key: it belongs to at most one).

SQLite rebuilds ``credit_lots`` to change its CHECK (batch mode, foreign keys off: see 0006).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.String(length=32)
_SOURCES = "'prepayment', 'overpayment', 'insurance_adjustment', 'cancellation', 'no_show', 'manual'"


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


def _sources(sources: str) -> None:
    with op.batch_alter_table("credit_lots", schema=None) as batch:
        batch.drop_constraint(op.f("ck_credit_lots_source"), type_="check")
        batch.create_check_constraint(op.f("ck_credit_lots_source"), sa.text(f"source in ({sources})"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))  # see 0007
    _sources(f"{_SOURCES}, 'package'")
    op.create_index("ix_line_lots_lot", "line_lots", ["practice_id", "lot_id"], unique=False)
    op.create_table(
        "packages",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("client_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("service_code", sa.String(length=20), nullable=True),
        sa.Column("lot_id", _ID, nullable=False),
        sa.Column("payment_id", _ID, nullable=False),
        sa.Column("sessions_used", sa.Integer(), nullable=False),
        sa.Column("sessions_remaining", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("sessions >= 1", name=op.f("ck_packages_sessions_pos")),
        sa.CheckConstraint("price >= sessions", name=op.f("ck_packages_price_per_session")),
        sa.CheckConstraint("sessions_used >= 0 and sessions_used <= sessions", name=op.f("ck_packages_used_range")),
        sa.CheckConstraint(
            "sessions_remaining >= 0 and sessions_remaining <= sessions - sessions_used",
            name=op.f("ck_packages_left_range"),
        ),
        _practice_fk("packages"),
        _ref("packages", "client_id", "clients"),
        _ref("packages", "lot_id", "credit_lots"),
        _ref("packages", "payment_id", "payments"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_packages"),
        sa.UniqueConstraint("practice_id", "lot_id", name="uq_packages_lot"),
    )
    op.create_index("ix_packages_client", "packages", ["practice_id", "client_id", "id"], unique=False)
    op.create_table(
        "package_sessions",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("package_id", _ID, nullable=False),
        sa.Column("bill_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("line_id", _ID, nullable=False),
        sa.Column("discount_line_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _practice_fk("package_sessions"),
        _ref("package_sessions", "package_id", "packages"),
        _ref("package_sessions", "bill_id", "bills"),
        _ref("package_sessions", "item_id", "bill_items"),
        _ref("package_sessions", "line_id", "bill_lines"),
        _ref("package_sessions", "discount_line_id", "bill_lines"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_package_sessions"),
        sa.UniqueConstraint("practice_id", "line_id", name="uq_package_sessions_line"),
    )
    op.create_index("ix_package_sessions_package", "package_sessions", ["practice_id", "package_id"], unique=False)
    op.create_table(
        "households",
        sa.Column("id", _ID, nullable=False),
        _practice(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("share_credit", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _practice_fk("households"),
        sa.PrimaryKeyConstraint("practice_id", "id", name="pk_households"),
    )
    op.create_table(
        "household_members",
        _practice(),
        sa.Column("client_id", _ID, nullable=False),
        sa.Column("household_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _practice_fk("household_members"),
        _ref("household_members", "client_id", "clients"),
        _ref("household_members", "household_id", "households"),
        sa.PrimaryKeyConstraint("practice_id", "client_id", name="pk_household_members"),
    )
    op.create_index(
        "ix_household_members_household", "household_members", ["practice_id", "household_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_household_members_household", table_name="household_members")
    op.drop_table("household_members")
    op.drop_table("households")
    op.drop_index("ix_package_sessions_package", table_name="package_sessions")
    op.drop_table("package_sessions")
    op.drop_index("ix_packages_client", table_name="packages")
    op.drop_table("packages")
    op.drop_index("ix_line_lots_lot", table_name="line_lots")
    op.execute(sa.text("UPDATE credit_lots SET source = 'prepayment' WHERE source = 'package'"))
    _sources(_SOURCES)
