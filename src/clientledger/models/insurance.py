"""Insurance tables: payer decisions posted on bill items, and 835 imports with their claims."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from clientledger.models.base import (
    ID,
    created_column,
    metadata,
    practice_column,
    ref_column,
    tenant_id_column,
    tenant_key,
    tenant_ref,
)

# Insurance (issue 5). One row per payer decision posted on a bill item; at most one is ``posted``
# per item (a later one from the same payer replaces it, a CLP02 22 reverses it). The amounts are
# the payer's numbers, kept so a reversal can post the exact inverse and ``verify`` can check
# ``ar:insurance`` per item against them.
insurance_payments = Table(
    "insurance_payments",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    ref_column("bill_id", "bills", nullable=False),
    ref_column("item_id", "bill_items", nullable=False),
    Column("payer", String(80), nullable=False),
    Column("claim_ref", String(20), nullable=True),
    Column("paid", BigInteger, nullable=False),
    Column("patient_responsibility", BigInteger, nullable=False),
    Column("contractual", BigInteger, nullable=False, doc="CO adjustments: posted to adjust:contractual"),
    Column("other_adjusted", BigInteger, nullable=False, doc="OA/PI/CR adjustments: adjust:insurance_other"),
    Column("prior_client_responsibility", BigInteger, nullable=False, doc="What a reversal restores"),
    Column("adjustments", Text, nullable=False, doc="JSON: every CAS group/reason/amount, PR included"),
    ref_column("era_import_id", "era_imports"),
    Column("trace", String(80), nullable=True),
    Column("status", String(10), nullable=False),
    Column("entry_id", String(ID), nullable=True),
    Column("reversal_entry_id", String(ID), nullable=True),
    created_column(),
    Column("reversed_at", DateTime, nullable=True),
    CheckConstraint("status in ('posted', 'reversed')", name="status"),
    CheckConstraint("paid >= 0", name="paid_nonneg"),
    CheckConstraint("patient_responsibility >= 0", name="pr_nonneg"),
    CheckConstraint("prior_client_responsibility >= 0", name="prior_nonneg"),
    tenant_key(),
    tenant_ref("client_id", "clients"),
    tenant_ref("bill_id", "bills"),
    tenant_ref("item_id", "bill_items"),
    tenant_ref("era_import_id", "era_imports"),
)
Index("ix_insurance_payments_item", insurance_payments.c.item_id)
Index("ix_insurance_payments_bill", insurance_payments.c.bill_id)
# The database agrees that an item has at most one payer decision in force.
Index(
    "uq_insurance_payments_posted_item",
    insurance_payments.c.practice_id,
    insurance_payments.c.item_id,
    unique=True,
    sqlite_where=insurance_payments.c.status == "posted",
    postgresql_where=insurance_payments.c.status == "posted",
)

# One uploaded 835 (its report kept as JSON, to show it again).
era_imports = Table(
    "era_imports",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("user_id", "users"),
    Column("payer_id", String(80), nullable=False),
    Column("payer_name", String(200), nullable=False),
    Column("trace", String(80), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("payment_total", BigInteger, nullable=False),
    Column("check_date", Date, nullable=True),
    Column("report", Text, nullable=False, doc="JSON: the import report, as the API returned it"),
    created_column(),
    tenant_key(),
    tenant_ref("user_id", "users"),
)
Index("ix_era_imports_practice_trace", era_imports.c.practice_id, era_imports.c.payer_id, era_imports.c.trace)

# Each claim an 835 posted, under the key that makes a re-import post nothing new: the payer, the
# TRN trace number and the claim's place in that payment (claim_ref, CLP02 status, occurrence).
era_claims = Table(
    "era_claims",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("era_import_id", "era_imports", nullable=False),
    Column("payer_id", String(80), nullable=False),
    Column("trace", String(80), nullable=False),
    Column("claim_key", String(40), nullable=False),
    Column("claim_ref", String(20), nullable=False),
    ref_column("bill_id", "bills", nullable=False),
    ref_column("insurance_payment_id", "insurance_payments"),
    created_column(),
    UniqueConstraint("practice_id", "payer_id", "trace", "claim_key", name="uq_era_claims_key"),
    tenant_key(),
    tenant_ref("era_import_id", "era_imports"),
    tenant_ref("bill_id", "bills"),
    tenant_ref("insurance_payment_id", "insurance_payments"),
)
