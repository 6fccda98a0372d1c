"""The tables the code uses are exactly the tables the migrations make, on both databases."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from clientledger.db import Database
from clientledger.migrate import upgrade
from clientledger.models import bill_items, bills, metadata


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


# A practice as 0004 left it: a copay-0 bill the payer has not paid (stored as paid, the old rule)
# and one it has paid in full; 0005 gives each its insurance_due from the journal and its status.
_BEFORE_0005 = [
    "INSERT INTO practices (id, name, auto_apply_credit, created_at) VALUES ('p1', 'Old Clinic', true, :now)",
    "INSERT INTO clients (id, practice_id, name, billing, copay, credit_balance, balance_due, created_at) "
    "VALUES ('c1', 'p1', 'Noa Zero', 'insurance', 0, 0, 0, :now)",
    *(
        f"INSERT INTO appointments (id, practice_id, client_id, date, service_code, fee, status, created_at) "
        f"VALUES ('a{n}', 'p1', 'c1', '2026-11-02', '90834', 10000, 'attended', :now)"
        for n in (1, 2)
    ),
    *(
        f"INSERT INTO bills (id, practice_id, client_id, status, apply_available_credit, client_responsibility, "
        f"client_paid, balance_due, created_at) VALUES ('b{n}', 'p1', 'c1', 'paid', true, 0, 0, 0, :now)"
        for n in (1, 2)
    ),
    *(
        f"INSERT INTO bill_items (id, practice_id, bill_id, appointment_id, date, service_code, fee, "
        f"client_responsibility, insurance_responsibility, insurance_paid) "
        f"VALUES ('i{n}', 'p1', 'b{n}', 'a{n}', '2026-11-02', '90834', 10000, 0, 10000, {paid})"
        for n, paid in ((1, 0), (2, 10000))
    ),
    "INSERT INTO journal_entries (id, practice_id, kind, created_at) VALUES ('e1', 'p1', 'bill_created', :now)",
    *(
        f"INSERT INTO postings (practice_id, entry_id, account, amount, client_id, bill_id, item_id) "
        f"VALUES ('p1', 'e1', '{account}', {amount}, 'c1', '{bill}', '{item}')"
        for account, amount, bill, item in (
            ("ar:insurance", 10000, "b1", "i1"),
            ("revenue", -10000, "b1", "i1"),
            ("ar:insurance", 10000, "b2", "i2"),
            ("revenue", -10000, "b2", "i2"),
            ("cash:insurance", 10000, "b2", "i2"),
            ("ar:insurance", -10000, "b2", "i2"),
        )
    ),
]


def test_0005_gives_existing_bills_what_payers_owe_and_the_status_that_follows(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db, "0004")
        with db.engine.begin() as conn:
            for statement in _BEFORE_0005:
                conn.execute(text(statement), {"now": dt.datetime(2026, 11, 2, 12)})
        upgrade(db)
        with db.engine.connect() as conn:
            found = conn.execute(select(bills.c.id, bills.c.status, bills.c.insurance_due).order_by(bills.c.id)).all()
            items = conn.execute(select(bill_items.c.id, bill_items.c.insurance_due).order_by(bill_items.c.id)).all()
    finally:
        db.dispose()
    assert [tuple(r) for r in found] == [("b1", "open", 10000), ("b2", "paid", 0)]
    assert [tuple(r) for r in items] == [("i1", 10000), ("i2", 0)]
