"""Tenant keys: practice_id leads every primary key, foreign key and unique key of a tenant table

So a distributed PostgreSQL can shard by ``practice_id`` (docs/scaling.md): each tenant table's
primary key becomes ``(practice_id, id)``; each reference to another tenant row becomes the
composite ``(practice_id, x_id) -> (practice_id, id)``, so a row can point only into its own
practice; each unique key gains ``practice_id``. Postings lose their autoincrement id for their
place in the entry, ``(practice_id, entry_id, n)``, numbered in the order they were written. A
bearer token's hash stays unique across practices in the new global ``token_directory``, which
tells a request its practice before any tenant row is read.

PostgreSQL alters the tables in place (foreign keys dropped first, put back last). SQLite rebuilds
each table once (batch mode) with foreign keys off, as SQLite asks for table rebuilds; the runner
checks ``PRAGMA foreign_key_check`` before it commits (``clientledger.migrate``).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every tenant table keyed by its own id (postings and audit_objects are keyed otherwise).
_ID_TABLES = (
    "users",
    "api_tokens",
    "clients",
    "appointments",
    "bills",
    "bill_items",
    "payments",
    "bill_lines",
    "credit_lots",
    "line_lots",
    "refunds",
    "journal_entries",
    "audit_events",
    "era_imports",
    "insurance_payments",
    "era_claims",
)

# (table, column, referred table): each reference from one tenant row to another.
_REFS = (
    ("api_tokens", "user_id", "users"),
    ("appointments", "client_id", "clients"),
    ("bills", "client_id", "clients"),
    ("bill_items", "bill_id", "bills"),
    ("bill_items", "appointment_id", "appointments"),
    ("payments", "client_id", "clients"),
    ("payments", "bill_id", "bills"),
    ("bill_lines", "bill_id", "bills"),
    ("bill_lines", "payment_id", "payments"),
    ("credit_lots", "client_id", "clients"),
    ("credit_lots", "payment_id", "payments"),
    ("credit_lots", "bill_id", "bills"),
    ("line_lots", "line_id", "bill_lines"),
    ("line_lots", "lot_id", "credit_lots"),
    ("refunds", "payment_id", "payments"),
    ("journal_entries", "user_id", "users"),
    ("postings", "entry_id", "journal_entries"),
    ("audit_events", "user_id", "users"),
    ("audit_objects", "event_id", "audit_events"),
    ("era_imports", "user_id", "users"),
    ("insurance_payments", "client_id", "clients"),
    ("insurance_payments", "bill_id", "bills"),
    ("insurance_payments", "item_id", "bill_items"),
    ("insurance_payments", "era_import_id", "era_imports"),
    ("era_claims", "era_import_id", "era_imports"),
    ("era_claims", "bill_id", "bills"),
    ("era_claims", "insurance_payment_id", "insurance_payments"),
)

# (table, name, old columns, new columns): unique keys that gain practice_id.
_UNIQUES = (
    ("api_tokens", "uq_api_tokens_token_hash", ["token_hash"], None),
    ("api_tokens", "uq_api_tokens_practice_token_hash", None, ["practice_id", "token_hash"]),
    ("bill_items", "uq_bill_items_appointment", ["appointment_id"], ["practice_id", "appointment_id"]),
    ("line_lots", "uq_line_lots_line_lot", ["line_id", "lot_id"], ["practice_id", "line_id", "lot_id"]),
)

_TABLES = (*_ID_TABLES, "postings", "audit_objects")


def _fk(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def _new_keys(table: str) -> list[str]:
    if table == "postings":
        return ["practice_id", "entry_id", "n"]
    if table == "audit_objects":
        return ["practice_id", "event_id", "object_id"]
    return ["practice_id", "id"]


def _number_postings() -> None:
    """Give each posting its place in its entry, in the order the old autoincrement id wrote them."""
    op.add_column("postings", sa.Column("n", sa.Integer(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE postings SET n = (SELECT r.n FROM (SELECT id, ROW_NUMBER() OVER "
            "(PARTITION BY practice_id, entry_id ORDER BY id) AS n FROM postings) AS r WHERE r.id = postings.id)"
        )
    )


def _posted_item_index(batch: BatchOperations, columns: list[str]) -> None:
    batch.drop_index("uq_insurance_payments_posted_item")
    where = sa.text("status = 'posted'")
    batch.create_index(
        "uq_insurance_payments_posted_item", columns, unique=True, sqlite_where=where, postgresql_where=where
    )


def _rekey(table: str, batch: BatchOperations, *, postgres: bool, upgrade: bool) -> None:
    """Primary key, unique keys and partial unique index of ``table``, one way or the other."""
    if postgres:
        batch.drop_constraint(f"pk_{table}", type_="primary")
    if table == "postings":
        if upgrade:
            batch.alter_column("n", existing_type=sa.Integer(), nullable=False)
            batch.drop_column("id")
        else:
            batch.drop_column("n")
    if table == "audit_objects" and not upgrade:
        batch.create_primary_key("pk_audit_objects", ["event_id", "object_id"])
    elif upgrade:
        batch.create_primary_key(f"pk_{table}", _new_keys(table))
    elif table != "postings":
        batch.create_primary_key(f"pk_{table}", ["id"])
    for uq_table, name, old, new in _UNIQUES:
        if uq_table != table:
            continue
        before, after = (old, new) if upgrade else (new, old)
        if before is not None:
            batch.drop_constraint(name, type_="unique")
        if after is not None:
            batch.create_unique_constraint(name, after)
    if table == "insurance_payments":
        _posted_item_index(batch, ["practice_id", "item_id"] if upgrade else ["item_id"])


def _refs_of(table: str) -> Iterator[tuple[str, str]]:
    for ref_table, column, referred in _REFS:
        if ref_table == table:
            yield column, referred


def _drop_refs(batch: BatchOperations, table: str) -> None:
    for column, referred in _refs_of(table):
        batch.drop_constraint(_fk(table, column, referred), type_="foreignkey")


def _make_refs(batch: BatchOperations, table: str, *, upgrade: bool) -> None:
    for column, referred in _refs_of(table):
        local, remote = (["practice_id", column], ["practice_id", "id"]) if upgrade else ([column], ["id"])
        batch.create_foreign_key(_fk(table, column, referred), referred, local, remote)


def _postings_back_to_autoincrement() -> None:
    """Postings get an integer id again, in (practice, entry, place) order (downgrade only)."""
    op.add_column("postings", sa.Column("id", sa.Integer(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE postings SET id = (SELECT r.id FROM (SELECT practice_id, entry_id, n, ROW_NUMBER() OVER "
            "(ORDER BY entry_id, n) AS id FROM postings) AS r WHERE r.practice_id = postings.practice_id "
            "AND r.entry_id = postings.entry_id AND r.n = postings.n)"
        )
    )


def _migrate(*, upgrade: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if upgrade:
        _number_postings()
    else:
        _postings_back_to_autoincrement()
    if postgres:
        # The rewrite queued the balance trigger's deferred checks, and PostgreSQL alters no table
        # with pending trigger events: run them now (every entry still balances).
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
        # References point at primary keys: every one goes before any key changes, and comes back last.
        for table in _TABLES:
            with op.batch_alter_table(table) as batch:
                _drop_refs(batch, table)
        for table in _TABLES:
            with op.batch_alter_table(table) as batch:
                _rekey(table, batch, postgres=True, upgrade=upgrade)
                if table == "postings" and not upgrade:
                    batch.create_primary_key("pk_postings", ["id"])
        for table in _TABLES:
            with op.batch_alter_table(table) as batch:
                _make_refs(batch, table, upgrade=upgrade)
        if not upgrade:
            op.execute(sa.text("CREATE SEQUENCE postings_id_seq OWNED BY postings.id"))
            op.execute(
                sa.text("SELECT setval('postings_id_seq', COALESCE((SELECT MAX(id) FROM postings), 0) + 1, false)")
            )
            op.execute(sa.text("ALTER TABLE postings ALTER COLUMN id SET DEFAULT nextval('postings_id_seq')"))
        return
    for table in _TABLES:
        # One rebuild per table; foreign keys are off while SQLite rebuilds (see the module doc).
        # The copy is built from the reflected table, whose columns still say they are its key.
        with warnings.catch_warnings(), op.batch_alter_table(table, recreate="always") as batch:
            warnings.filterwarnings("ignore", "Table '_alembic_tmp_.*' specifies columns", sa.exc.SAWarning)
            _drop_refs(batch, table)
            _rekey(table, batch, postgres=False, upgrade=upgrade)
            if table == "postings" and not upgrade:
                batch.alter_column("id", existing_type=sa.Integer(), nullable=False)
                batch.create_primary_key("pk_postings", ["id"])
            _make_refs(batch, table, upgrade=upgrade)


# The deferred balance check of 0001 (PostgreSQL), now reading its entry within its practice.
_BALANCE_FUNCTION = """
CREATE OR REPLACE FUNCTION clientledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    practice varchar;
    entry varchar;
    total bigint;
BEGIN
    practice := COALESCE(NEW.practice_id, OLD.practice_id);
    entry := COALESCE(NEW.entry_id, OLD.entry_id);
    SELECT COALESCE(SUM(amount), 0) INTO total FROM postings WHERE practice_id = practice AND entry_id = entry;
    IF total <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance: postings sum to %', entry, total;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
_OLD_BALANCE_FUNCTION = """
CREATE OR REPLACE FUNCTION clientledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    entry varchar;
    total bigint;
BEGIN
    entry := COALESCE(NEW.entry_id, OLD.entry_id);
    SELECT COALESCE(SUM(amount), 0) INTO total FROM postings WHERE entry_id = entry;
    IF total <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance: postings sum to %', entry, total;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    _migrate(upgrade=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(_BALANCE_FUNCTION))
    op.create_table(
        "email_directory",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_email_directory_practice_id_practices")
        ),
        sa.PrimaryKeyConstraint("email", "practice_id", name=op.f("pk_email_directory")),
    )
    op.execute(
        sa.text("INSERT INTO email_directory (email, practice_id) SELECT DISTINCT email, practice_id FROM users")
    )
    op.create_table(
        "token_directory",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_token_directory_practice_id_practices")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_token_directory")),
    )
    op.execute(
        sa.text("INSERT INTO token_directory (token_hash, practice_id) SELECT token_hash, practice_id FROM api_tokens")
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(_OLD_BALANCE_FUNCTION))
    op.drop_table("email_directory")
    op.drop_table("token_directory")
    _migrate(upgrade=False)
