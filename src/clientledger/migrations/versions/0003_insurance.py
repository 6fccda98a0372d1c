"""insurance: payer decisions per bill item, 835 imports and their per-claim idempotency keys

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(length=32), nullable=False)


def _practice() -> sa.Column[str]:
    return sa.Column("practice_id", sa.String(length=32), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "era_imports",
        _id(),
        _practice(),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("payer_name", sa.String(length=200), nullable=False),
        sa.Column("trace", sa.String(length=80), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("payment_total", sa.BigInteger(), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=True),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("era_imports", "practice_id", "practices"),
        _fk("era_imports", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_era_imports")),
    )
    op.create_index("ix_era_imports_practice_trace", "era_imports", ["practice_id", "payer_id", "trace"])

    op.create_table(
        "insurance_payments",
        _id(),
        _practice(),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("bill_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("payer", sa.String(length=80), nullable=False),
        sa.Column("claim_ref", sa.String(length=20), nullable=True),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("patient_responsibility", sa.BigInteger(), nullable=False),
        sa.Column("contractual", sa.BigInteger(), nullable=False),
        sa.Column("other_adjusted", sa.BigInteger(), nullable=False),
        sa.Column("prior_client_responsibility", sa.BigInteger(), nullable=False),
        sa.Column("adjustments", sa.Text(), nullable=False),
        sa.Column("era_import_id", sa.String(length=32), nullable=True),
        sa.Column("trace", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=True),
        sa.Column("reversal_entry_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reversed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status in ('posted', 'reversed')", name=op.f("ck_insurance_payments_status")),
        sa.CheckConstraint("paid >= 0", name=op.f("ck_insurance_payments_paid_nonneg")),
        sa.CheckConstraint("patient_responsibility >= 0", name=op.f("ck_insurance_payments_pr_nonneg")),
        sa.CheckConstraint("prior_client_responsibility >= 0", name=op.f("ck_insurance_payments_prior_nonneg")),
        _fk("insurance_payments", "bill_id", "bills"),
        _fk("insurance_payments", "client_id", "clients"),
        _fk("insurance_payments", "era_import_id", "era_imports"),
        _fk("insurance_payments", "item_id", "bill_items"),
        _fk("insurance_payments", "practice_id", "practices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_payments")),
    )
    op.create_index("ix_insurance_payments_bill", "insurance_payments", ["bill_id"])
    op.create_index("ix_insurance_payments_item", "insurance_payments", ["item_id"])
    posted = sa.text("status = 'posted'")
    op.create_index(
        "uq_insurance_payments_posted_item",
        "insurance_payments",
        ["item_id"],
        unique=True,
        sqlite_where=posted,
        postgresql_where=posted,
    )

    op.create_table(
        "era_claims",
        _id(),
        _practice(),
        sa.Column("era_import_id", sa.String(length=32), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("trace", sa.String(length=80), nullable=False),
        sa.Column("claim_key", sa.String(length=40), nullable=False),
        sa.Column("claim_ref", sa.String(length=20), nullable=False),
        sa.Column("bill_id", sa.String(length=32), nullable=False),
        sa.Column("insurance_payment_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("era_claims", "bill_id", "bills"),
        _fk("era_claims", "era_import_id", "era_imports"),
        _fk("era_claims", "insurance_payment_id", "insurance_payments"),
        _fk("era_claims", "practice_id", "practices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_era_claims")),
        sa.UniqueConstraint("practice_id", "payer_id", "trace", "claim_key", name="uq_era_claims_key"),
    )


def downgrade() -> None:
    op.drop_table("era_claims")
    op.drop_index("uq_insurance_payments_posted_item", table_name="insurance_payments")
    op.drop_index("ix_insurance_payments_item", table_name="insurance_payments")
    op.drop_index("ix_insurance_payments_bill", table_name="insurance_payments")
    op.drop_table("insurance_payments")
    op.drop_index("ix_era_imports_practice_trace", table_name="era_imports")
    op.drop_table("era_imports")
