"""Every table, in one place (SQLAlchemy Core: the hot write paths pay no ORM cost per row).

Money columns are integer cents; their names say what the amount is. Columns named like
``credit_balance`` or ``remaining`` are projections of the journal, changed only in the same
transaction as the journal entry that moves them, and recomputed by ``clientledger verify``.
Every table carries ``practice_id``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

from clientledger.kit.days import DEFAULT_TIME_ZONE
from clientledger.kit.vocabulary import (
    AppointmentStatus,
    Billing,
    BillStatus,
    LineType,
    PaymentMethod,
    RefundStatus,
    Role,
    sql_in,
)
from clientledger.models.base import (
    ID,
    created_column,
    id_column,
    partial_index,
    practice_column,
    ref_column,
    tenant_id_column,
    tenant_key,
    tenant_ref,
)
from clientledger.models.base import metadata as metadata
from clientledger.models.base import same_practice as same_practice
from clientledger.models.insurance import era_claims as era_claims
from clientledger.models.insurance import era_imports as era_imports
from clientledger.models.insurance import insurance_payments as insurance_payments

practices = Table(
    "practices",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False, unique=True),
    Column("auto_apply_credit", Boolean, nullable=False, default=True),
    created_column(),
    # The IANA zone whose days the practice's people see and send (``kit.days``).
    Column("time_zone", String(64), nullable=False, default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE),
    # What a superbill names the practice by for the payer.
    Column("npi", String(10), nullable=True),
    Column("tax_id", String(10), nullable=True),
)

users = Table(
    "users",
    metadata,
    tenant_id_column(),
    practice_column(),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=True),  # how pages name the person (History); else the email
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    created_column(),
    UniqueConstraint("practice_id", "email", name="uq_users_practice_email"),
    CheckConstraint(f"role in ({sql_in(Role)})", name="role"),
    tenant_key(),
)
Index("ix_users_email", users.c.email)

api_tokens = Table(
    "api_tokens",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("user_id", "users", nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("kind", String(10), nullable=False, default="api"),
    created_column(),
    Column("expires_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
    tenant_key(),
    tenant_ref("user_id", "users"),
    UniqueConstraint("practice_id", "token_hash", name="uq_api_tokens_practice_token_hash"),
)

# The practices an email is staff in: a login names an email before anyone knows the practice, so
# this lookup is global (one row per staff account, written with it); each account is then read
# within its practice.
email_directory = Table(
    "email_directory",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("practice_id", String(ID), ForeignKey("practices.id"), primary_key=True),
)

# Which practice a bearer token belongs to: a request shows its token before anyone knows its
# practice, so this lookup is global (one row per token, written with it); the token row itself
# is then read within its practice. The token hash is unique here, across practices.
token_directory = Table(
    "token_directory",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    practice_column(),
)

clients = Table(
    "clients",
    metadata,
    tenant_id_column(),
    practice_column(),
    Column("name", String(200), nullable=False),
    # ``kit.names.name_key(name)``: the list's order and what a search matches, case and accents aside.
    Column("name_key", String(400), nullable=False),
    Column("email", String(320), nullable=True),
    Column("billing", String(20), nullable=False),
    Column("copay", BigInteger, nullable=True),
    Column("credit_balance", BigInteger, nullable=False, default=0),
    Column("balance_due", BigInteger, nullable=False, default=0),
    # The processor's customer (Stripe's ``cus_...``) that holds this client's saved cards.
    Column("processor_customer", String(100), nullable=True),
    created_column(),
    CheckConstraint(f"billing in ({sql_in(Billing)})", name="billing"),
    CheckConstraint("copay is null or copay >= 0", name="copay_nonneg"),
    CheckConstraint("credit_balance >= 0", name="credit_nonneg"),
    CheckConstraint("balance_due >= 0", name="due_nonneg"),
    tenant_key(),
)  # The client list and its search, in name order (then id, for a stable cursor).
Index("ix_clients_practice_name_key", clients.c.practice_id, clients.c.name_key, clients.c.id)

appointments = Table(
    "appointments",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    Column("date", Date, nullable=False),
    Column("service_code", String(20), nullable=False),
    Column("fee", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_fee", BigInteger, nullable=True),
    created_column(),
    CheckConstraint("fee >= 0", name="fee_nonneg"),
    CheckConstraint(f"status in ({sql_in(AppointmentStatus)})", name="status"),
    tenant_key(),
    tenant_ref("client_id", "clients"),
)
Index(
    "ix_appointments_practice_client_date",
    appointments.c.practice_id,
    appointments.c.client_id,
    appointments.c.date,
    appointments.c.id,
)

bills = Table(
    "bills",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    Column("status", String(10), nullable=False),
    Column("apply_available_credit", Boolean, nullable=False),
    Column("client_responsibility", BigInteger, nullable=False, default=0),
    Column("client_paid", BigInteger, nullable=False, default=0),
    Column("balance_due", BigInteger, nullable=False, default=0),
    Column("insurance_due", BigInteger, nullable=False, default=0),
    created_column(),
    # "Bill #N": 1, 2, 3... per practice in creation order, drawn from ``bill_numbers``.
    Column("number", BigInteger, nullable=False),
    UniqueConstraint("practice_id", "number", name="uq_bills_practice_number"),
    CheckConstraint(f"status in ({sql_in(BillStatus)})", name="status"),
    CheckConstraint("client_responsibility >= 0", name="resp_nonneg"),
    CheckConstraint("client_paid >= 0", name="paid_nonneg"),
    CheckConstraint("balance_due >= 0", name="due_nonneg"),
    CheckConstraint("insurance_due >= 0", name="insurance_due_nonneg"),
    tenant_key(),
    tenant_ref("client_id", "clients"),
)
# A client's bill list, newest first, a page at a time.
Index("ix_bills_practice_client", bills.c.practice_id, bills.c.client_id, bills.c.id)
# The practice's open bills (aging): bills leave it once paid or void.
OPEN_BILL = bills.c.status == literal_column("'open'")
partial_index("ix_bills_open", bills.c.practice_id, bills.c.created_at, bills.c.id, where=OPEN_BILL)

# The last bill number each practice gave out: a new bill takes the next one under this row's lock,
# held only from the bill's reads to its commit, so numbers have no gaps and no repeats.
bill_numbers = Table(
    "bill_numbers",
    metadata,
    practice_column(),
    Column("last_number", BigInteger, nullable=False),
    PrimaryKeyConstraint("practice_id"),
)

bill_items = Table(
    "bill_items",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("bill_id", "bills", nullable=False),
    ref_column("appointment_id", "appointments", nullable=False),
    Column("date", Date, nullable=False),
    Column("service_code", String(20), nullable=False),
    Column("fee", BigInteger, nullable=False),
    Column("client_responsibility", BigInteger, nullable=False),
    Column("insurance_responsibility", BigInteger, nullable=False),
    Column("insurance_paid", BigInteger, nullable=False, default=0),
    Column("insurance_due", BigInteger, nullable=False, default=0),
    Column("claim_ref", String(20), nullable=True),
    UniqueConstraint("practice_id", "appointment_id", name="uq_bill_items_appointment"),
    UniqueConstraint("practice_id", "claim_ref", name="uq_bill_items_claim_ref"),
    CheckConstraint("fee >= 0", name="fee_nonneg"),
    CheckConstraint("client_responsibility >= 0", name="client_resp_nonneg"),
    CheckConstraint("insurance_responsibility >= 0", name="ins_resp_nonneg"),
    CheckConstraint("insurance_due >= 0", name="ins_due_nonneg"),
    tenant_key(),
    tenant_ref("bill_id", "bills"),
    tenant_ref("appointment_id", "appointments"),
)
Index("ix_bill_items_practice_bill", bill_items.c.practice_id, bill_items.c.bill_id)

payments = Table(
    "payments",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    ref_column("bill_id", "bills"),
    Column("method", String(10), nullable=False),
    Column("captured", BigInteger, nullable=False),
    Column("credited", BigInteger, nullable=False, default=0),
    Column("refunded", BigInteger, nullable=False, default=0),
    Column("processor", String(20), nullable=True),
    Column("charge_id", String(100), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("card_brand", String(20), nullable=True),
    Column("memo", String(500), nullable=True),
    Column("voided_at", DateTime, nullable=True),
    created_column(),
    CheckConstraint(f"method in ({sql_in(PaymentMethod)})", name="method"),
    CheckConstraint("captured > 0", name="captured_pos"),
    CheckConstraint("credited >= 0", name="credited_nonneg"),
    CheckConstraint("refunded >= 0 and refunded <= captured", name="refunded_range"),
    tenant_key(),
    tenant_ref("client_id", "clients"),
    tenant_ref("bill_id", "bills"),
)
Index("ix_payments_client", payments.c.client_id)

bill_lines = Table(
    "bill_lines",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("bill_id", "bills", nullable=False),
    ref_column("payment_id", "payments"),
    Column("type", String(20), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("deduct_from_credit_balance", Boolean, nullable=True),
    Column("removed_at", DateTime, nullable=True),
    created_column(),
    CheckConstraint(f"type in ({sql_in(LineType)})", name="type"),
    CheckConstraint("amount >= 0", name="amount_nonneg"),
    tenant_key(),
    tenant_ref("bill_id", "bills"),
    tenant_ref("payment_id", "payments"),
)
Index("ix_bill_lines_practice_bill", bill_lines.c.practice_id, bill_lines.c.bill_id)
Index("ix_bill_lines_payment", bill_lines.c.payment_id)

credit_lots = Table(
    "credit_lots",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    Column("source", String(30), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("reason", String(30), nullable=True),
    Column("note", String(500), nullable=True),
    ref_column("payment_id", "payments"),
    ref_column("bill_id", "bills"),
    created_column(),
    CheckConstraint(
        "source in ('prepayment', 'overpayment', 'insurance_adjustment', 'cancellation', 'no_show', 'manual', "
        "'package')",
        name="source",
    ),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("remaining >= 0 and remaining <= amount", name="remaining_range"),
    tenant_key(),
    tenant_ref("client_id", "clients"),
    tenant_ref("payment_id", "payments"),
    tenant_ref("bill_id", "bills"),
)
Index("ix_credit_lots_client", credit_lots.c.client_id, credit_lots.c.id)
Index("ix_credit_lots_payment", credit_lots.c.payment_id)
# Only lots with credit left: spending credit reads what can be spent, however many lots are spent.
_OPEN = credit_lots.c.remaining > 0
partial_index("ix_credit_lots_open", credit_lots.c.practice_id, credit_lots.c.client_id, credit_lots.c.id, where=_OPEN)

line_lots = Table(
    "line_lots",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("line_id", "bill_lines", nullable=False),
    ref_column("lot_id", "credit_lots", nullable=False),
    Column("amount", BigInteger, nullable=False),
    UniqueConstraint("practice_id", "line_id", "lot_id", name="uq_line_lots_line_lot"),
    CheckConstraint("amount >= 0", name="amount_nonneg"),
    tenant_key(),
    tenant_ref("line_id", "bill_lines"),
    tenant_ref("lot_id", "credit_lots"),
)
# A lot's draws: a package's sessions are counted from its lot's (``packages.sessions_used``).
Index("ix_line_lots_lot", line_lots.c.practice_id, line_lots.c.lot_id)

# A prepaid package of sessions: its payment's ``price`` is the lot (source ``package``) that pays
# only its own sessions. ``sessions_used`` and ``sessions_remaining`` are projections of the lot and
# its draws (``accounting.projections``, ``rules.packages.sessions_left``), checked by ``verify``.
packages = Table(
    "packages",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    Column("name", String(200), nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("service_code", String(20), nullable=True),
    ref_column("lot_id", "credit_lots", nullable=False),
    ref_column("payment_id", "payments", nullable=False),
    Column("sessions_used", Integer, nullable=False, default=0),
    Column("sessions_remaining", Integer, nullable=False),
    created_column(),
    UniqueConstraint("practice_id", "lot_id", name="uq_packages_lot"),
    CheckConstraint("sessions >= 1", name="sessions_pos"),
    CheckConstraint("price >= sessions", name="price_per_session"),
    CheckConstraint("sessions_used >= 0 and sessions_used <= sessions", name="used_range"),
    CheckConstraint("sessions_remaining >= 0 and sessions_remaining <= sessions - sessions_used", name="left_range"),
    tenant_key(),
    tenant_ref("client_id", "clients"),
    tenant_ref("lot_id", "credit_lots"),
    tenant_ref("payment_id", "payments"),
)
Index("ix_packages_client", packages.c.practice_id, packages.c.client_id, packages.c.id)

# One session a bill drew from a package: its client_credit line and, when the session's share was
# below what the client owed for it, the discount line that covers the rest.
package_sessions = Table(
    "package_sessions",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("package_id", "packages", nullable=False),
    ref_column("bill_id", "bills", nullable=False),
    ref_column("item_id", "bill_items", nullable=False),
    ref_column("line_id", "bill_lines", nullable=False),
    ref_column("discount_line_id", "bill_lines"),
    created_column(),
    UniqueConstraint("practice_id", "line_id", name="uq_package_sessions_line"),
    tenant_key(),
    tenant_ref("package_id", "packages"),
    tenant_ref("bill_id", "bills"),
    tenant_ref("item_id", "bill_items"),
    tenant_ref("line_id", "bill_lines"),
    tenant_ref("discount_line_id", "bill_lines"),
)
Index("ix_package_sessions_package", package_sessions.c.practice_id, package_sessions.c.package_id)

# A family or group of clients; with ``share_credit`` a member's bill may draw on the others' credit.
households = Table(
    "households",
    metadata,
    tenant_id_column(),
    practice_column(),
    Column("name", String(200), nullable=False),
    Column("share_credit", Boolean, nullable=False),
    created_column(),
    tenant_key(),
)

# A client belongs to at most one household: the client is the key.
household_members = Table(
    "household_members",
    metadata,
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    ref_column("household_id", "households", nullable=False),
    created_column(),
    tenant_key("client_id"),
    tenant_ref("client_id", "clients"),
    tenant_ref("household_id", "households"),
)
Index("ix_household_members_household", household_members.c.practice_id, household_members.c.household_id)

refunds = Table(
    "refunds",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("payment_id", "payments", nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("from_credit", BigInteger, nullable=False),
    Column("from_bills", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("processor_refund_id", String(100), nullable=True),
    Column("reason", String(500), nullable=True),
    Column("allocation", Text, nullable=False, doc="JSON: where the money came from, to undo a failed refund"),
    Column("failure_reason", String(500), nullable=True),
    created_column(),
    Column("settled_at", DateTime, nullable=True),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("from_credit >= 0 and from_bills >= 0 and from_credit + from_bills = amount", name="split"),
    CheckConstraint(f"status in ({sql_in(RefundStatus)})", name="status"),
    tenant_key(),
    tenant_ref("payment_id", "payments"),
)
Index("ix_refunds_payment", refunds.c.payment_id)

journal_entries = Table(
    "journal_entries",
    metadata,
    tenant_id_column(),
    practice_column(),
    Column("kind", String(40), nullable=False),
    ref_column("user_id", "users"),
    Column("client_id", String(ID), nullable=True),
    Column("bill_id", String(ID), nullable=True),
    Column("payment_id", String(ID), nullable=True),
    Column("memo", String(500), nullable=True),
    Column("request_id", String(64), nullable=True),
    created_column(),
    tenant_key(),
    tenant_ref("user_id", "users"),
)
# Journal pages and the CSV, oldest first by (created_at, id).
Index(
    "ix_journal_entries_practice_created_id",
    journal_entries.c.practice_id,
    journal_entries.c.created_at,
    journal_entries.c.id,
)
# A client's removed credit lines. The kind inline (not a parameter), so a query saying the same is
# known to be within the index.
REMOVED_LINE_ENTRY = journal_entries.c.kind == literal_column("'credit_line_removed'")
partial_index(
    "ix_journal_entries_removals",
    journal_entries.c.practice_id,
    journal_entries.c.client_id,
    journal_entries.c.id,
    where=REMOVED_LINE_ENTRY,
)

postings = Table(
    "postings",
    metadata,
    practice_column(),
    ref_column("entry_id", "journal_entries", nullable=False),
    Column("n", Integer, nullable=False, doc="The posting's place in its entry, from 1"),
    Column("account", String(40), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("client_id", String(ID), nullable=True),
    Column("bill_id", String(ID), nullable=True),
    Column("item_id", String(ID), nullable=True),
    Column("line_id", String(ID), nullable=True),
    Column("payment_id", String(ID), nullable=True),
    Column("lot_id", String(ID), nullable=True),
    CheckConstraint("amount <> 0", name="amount_nonzero"),
    tenant_key("entry_id", "n"),
    tenant_ref("entry_id", "journal_entries"),
)
Index("ix_postings_practice_account", postings.c.practice_id, postings.c.account)
# A client's credit history and verify's per-client chunks; the postings of a page of entries.
Index("ix_postings_practice_client", postings.c.practice_id, postings.c.client_id, postings.c.account)

# A projection of the journal for "credit as of any day": each client's credit balance at the end of
# every day its credit moved (``accounting/history.py``). The balance at the end of day D is the row
# with the latest day <= D, one index seek per client however long the history.
client_credit_days = Table(
    "client_credit_days",
    metadata,
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    Column("day", Date, nullable=False),
    Column("credit_balance", BigInteger, nullable=False),
    PrimaryKeyConstraint("practice_id", "client_id", "day", name="pk_client_credit_days"),
    tenant_ref("client_id", "clients"),
    CheckConstraint("credit_balance >= 0", name="credit_nonneg"),
)

audit_events = Table(
    "audit_events",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("user_id", "users"),
    Column("action", String(60), nullable=False),
    Column("object_ids", Text, nullable=False),
    Column("detail", Text, nullable=True),
    Column("request_id", String(64), nullable=True),
    created_column(),
    tenant_key(),
    tenant_ref("user_id", "users"),
)

audit_objects = Table(
    "audit_objects",
    metadata,
    Column("event_id", String(ID), nullable=False),
    Column("object_id", String(ID), nullable=False),
    practice_column(),
    tenant_key("event_id", "object_id"),
    tenant_ref("event_id", "audit_events"),
)
Index("ix_audit_objects_object", audit_objects.c.practice_id, audit_objects.c.object_id)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    practice_column(),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    created_column(),
    PrimaryKeyConstraint("practice_id", "key", name="pk_idempotency_keys"),
)

# A client's card on file: the processor's payment method (``pm_...``) and what it says about the
# card. No card number is ever held: brand, last four digits and expiry come from the processor.
cards = Table(
    "cards",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("client_id", "clients", nullable=False),
    Column("processor", String(20), nullable=False),
    Column("payment_method", String(255), nullable=False),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=True),
    Column("exp_year", Integer, nullable=True),
    Column("is_default", Boolean, nullable=False, default=False),
    created_column(),
    tenant_key(),
    tenant_ref("client_id", "clients"),
    UniqueConstraint("practice_id", "client_id", "payment_method", name="uq_cards_client_payment_method"),
)
Index("ix_cards_client", cards.c.practice_id, cards.c.client_id)

# The outbox: one row per event (``payment.created``, ``credit.applied``...), written in the same
# transaction as the movement it tells of. ``data`` is its JSON; ``credit_balance`` (credit events)
# is the client's balance after it. ``dispatched_at`` is set once the delivery worker has made a
# delivery row for every webhook endpoint the event matches.
events = Table(
    "events",
    metadata,
    tenant_id_column(),
    practice_column(),
    Column("type", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Column("credit_balance", BigInteger, nullable=True),
    created_column(),
    Column("dispatched_at", DateTime, nullable=True),
    tenant_key(),
)
Index("ix_events_practice_type", events.c.practice_id, events.c.type, events.c.id)
partial_index("ix_events_undispatched", events.c.practice_id, events.c.id, where=events.c.dispatched_at.is_(None))

# Where the practice's events are POSTed. The signing secret is not stored: it is derived from the
# server's key and the endpoint's id (``kit.secrets``), and shown once, when the endpoint is made.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    tenant_id_column(),
    practice_column(),
    Column("url", String(2000), nullable=False),
    Column("events", Text, nullable=False, doc="JSON list of type names, `*` wildcards allowed"),
    created_column(),
    Column("deleted_at", DateTime, nullable=True),
    tenant_key(),
)

# One event to one endpoint, until a 2xx: ``next_attempt_at`` is when it is next due.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("endpoint_id", "webhook_endpoints", nullable=False),
    ref_column("event_id", "events", nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    created_column(),
    CheckConstraint("status in ('pending', 'delivered', 'abandoned')", name="status"),
    tenant_key(),
    tenant_ref("endpoint_id", "webhook_endpoints"),
    tenant_ref("event_id", "events"),
    UniqueConstraint("practice_id", "endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
)
partial_index(
    "ix_webhook_deliveries_due",
    webhook_deliveries.c.practice_id,
    webhook_deliveries.c.next_attempt_at,
    where=webhook_deliveries.c.status == literal_column("'pending'"),
)

# Every attempt of a delivery, for the endpoint's delivery log (status code or error, how long).
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    tenant_id_column(),
    practice_column(),
    ref_column("delivery_id", "webhook_deliveries", nullable=False),
    ref_column("endpoint_id", "webhook_endpoints", nullable=False),
    Column("event_id", String(ID), nullable=False),
    Column("attempted_at", DateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=False),
    tenant_key(),
    tenant_ref("delivery_id", "webhook_deliveries"),
    tenant_ref("endpoint_id", "webhook_endpoints"),
)
Index(
    "ix_webhook_attempts_endpoint",
    webhook_attempts.c.practice_id,
    webhook_attempts.c.endpoint_id,
    webhook_attempts.c.attempted_at,
)

# Which practice a processor charge belongs to: a processor event (a Stripe webhook) names a charge
# before anyone knows the practice, so this lookup is global (one row per card payment, written
# with it); the payment is then read within its practice.
charge_directory = Table(
    "charge_directory",
    metadata,
    Column("charge_id", String(100), primary_key=True),
    practice_column(),
)

# Every processor event received (Stripe's ``evt_...``), stored by its id before it acts, so a
# repeat is a no-op. Global like the lookups: the practice is known only once the charge is found.
processor_events = Table(
    "processor_events",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("practice_id", String(ID), ForeignKey("practices.id"), nullable=True),
    Column("outcome", String(500), nullable=False),
    Column("received_at", DateTime, nullable=False),
)

# Failed logins per email, across practices (an email may belong to several): the rate limit must
# hold across API worker processes, so it lives in the database rather than in memory.
login_attempts = Table(
    "login_attempts",
    metadata,
    id_column(),
    Column("email", String(320), nullable=False),
    created_column(),
)
Index("ix_login_attempts_email_created", login_attempts.c.email, login_attempts.c.created_at)

# The tables that belong to no one practice (docs/scaling.md): the root every tenant row points
# to, and the lookups made before the practice is known. Every other table is a tenant table:
# ``practice_id`` leads its keys, and every statement against it is scoped by it.
GLOBAL_TABLES = frozenset(
    {"practices", "email_directory", "token_directory", "login_attempts", "charge_directory", "processor_events"}
)
TENANT_TABLES = frozenset(name for name in metadata.tables if name not in GLOBAL_TABLES)
