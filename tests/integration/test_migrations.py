"""The tables the code uses are exactly the tables the migrations make, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select, text

from clientledger.accounting.verify import verify
from clientledger.auth.repository import live_token_owner, login_candidates, token_practice
from clientledger.db import Ctx, Database
from clientledger.kit.names import name_key
from clientledger.migrate import downgrade, upgrade
from clientledger.models import bill_items, bills, metadata

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


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
            found = conn.execute(
                select(bills.c.id, bills.c.status, bills.c.insurance_due)
                .where(bills.c.practice_id == "p1")
                .order_by(bills.c.id)
            ).all()
            items = conn.execute(
                select(bill_items.c.id, bill_items.c.insurance_due)
                .where(bill_items.c.practice_id == "p1")
                .order_by(bill_items.c.id)
            ).all()
    finally:
        db.dispose()
    assert [tuple(r) for r in found] == [("b1", "open", 10000), ("b2", "paid", 0)]
    assert [tuple(r) for r in items] == [("i1", 10000), ("i2", 0)]


# What users see, practice by practice, read with plain SQL that means the same at 0005 and 0006.
_SEEN = {
    "clients": "SELECT id, credit_balance, balance_due FROM clients WHERE practice_id = :p ORDER BY id",
    "bills": "SELECT id, status, client_responsibility, client_paid, balance_due, insurance_due FROM bills "
    "WHERE practice_id = :p ORDER BY id",
    "lots": "SELECT id, amount, remaining FROM credit_lots WHERE practice_id = :p ORDER BY id",
    "payments": "SELECT id, captured, credited, refunded FROM payments WHERE practice_id = :p ORDER BY id",
    "draws": "SELECT line_id, lot_id, amount FROM line_lots WHERE practice_id = :p ORDER BY line_id, lot_id",
    "tokens": "SELECT id, user_id, token_hash FROM api_tokens WHERE practice_id = :p ORDER BY id",
}


def _seen(conn: Connection, practice_ids: list[str], postings_order: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in practice_ids:
        for name, sql in _SEEN.items():
            out[f"{p} {name}"] = [tuple(r) for r in conn.execute(text(sql), {"p": p})]
        out[f"{p} journal"] = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT entry_id, account, amount, client_id, bill_id, item_id, line_id, payment_id, lot_id "
                    f"FROM postings WHERE practice_id = :p ORDER BY entry_id, {postings_order}"
                ),
                {"p": p},
            )
        ]
    return out


def _ledger_at_0005(db: Database) -> None:
    """The demo and a second practice as a database at 0005 held them."""
    upgrade(db, "0005")
    inserts = (FIXTURES / "ledger_at_0005.sql").read_text().splitlines()
    with db.engine.begin() as conn:
        for statement in inserts:
            if statement.startswith("INSERT"):
                conn.exec_driver_sql(statement)


def test_0009_numbers_existing_bills_in_creation_order_and_folds_client_names(database_url: str) -> None:
    db = Database(database_url)
    try:
        _ledger_at_0005(db)
        upgrade(db)
        with db.engine.connect() as conn:
            practice_ids = list(conn.execute(text("SELECT id FROM practices ORDER BY id")).scalars())
            numbered = {
                p: list(
                    conn.execute(
                        text("SELECT number FROM bills WHERE practice_id = :p ORDER BY created_at, id"), {"p": p}
                    ).scalars()
                )
                for p in practice_ids
            }
            last = {
                p: conn.execute(text("SELECT last_number FROM bill_numbers WHERE practice_id = :p"), {"p": p}).scalar()
                for p in practice_ids
            }
            names = conn.execute(
                text("SELECT name, name_key FROM clients WHERE practice_id = :p"), {"p": practice_ids[0]}
            ).all()
            zones = set(conn.execute(text("SELECT time_zone FROM practices")).scalars())
    finally:
        db.dispose()
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in numbered.values())
    assert last == {p: len(n) or None for p, n in numbered.items()}
    assert names and all(key == name_key(name) for name, key in names)
    assert zones == {"America/New_York"}


def test_0006_keys_every_row_by_its_practice_and_keeps_every_balance(database_url: str) -> None:
    """A ledger made at 0005 (the demo and a second practice) upgrades with the same books, verify clean."""
    db = Database(database_url)
    try:
        _ledger_at_0005(db)
        with db.engine.connect() as conn:
            practice_ids = list(conn.execute(text("SELECT id FROM practices ORDER BY id")).scalars())
            before = _seen(conn, practice_ids, "id")
        upgrade(db)
        with db.engine.connect() as conn:
            after = _seen(conn, practice_ids, "n")
            problems = verify(conn)
            numbers = conn.execute(
                text("SELECT MIN(n), MAX(n), COUNT(*) FROM postings WHERE practice_id = :p"), {"p": practice_ids[0]}
            ).one()
        tokens = {p: before[f"{p} tokens"] for p in practice_ids}
        with db.transaction(Ctx(practice_id=practice_ids[0]), write=False) as tx:
            owners = login_candidates(tx, "owner@calmwaters.example")
            found = {
                token_hash: token_practice(tx.conn, token_hash) for p in practice_ids for _, _, token_hash in tokens[p]
            }
        owner = live_token_owner(db, tokens[practice_ids[1]][0][2], kind="api")
    finally:
        db.dispose()
    assert len(practice_ids) == 2
    assert after == before
    assert problems == []
    assert numbers[0] == 1 and numbers[2] > 0
    assert sorted(o.practice_id for o in owners) == practice_ids
    assert found == {token_hash: p for p in practice_ids for _, _, token_hash in tokens[p]}
    assert owner is not None and owner.practice_id == practice_ids[1]


def test_0006_downgrades_to_single_keys_and_back(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db)
        downgrade(db, "0005")
        upgrade(db)
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        db.dispose()
