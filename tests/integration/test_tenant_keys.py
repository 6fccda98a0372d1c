"""The schema shards by practice: ``practice_id`` leads every key of every tenant table (docs/scaling.md).

And the check that every statement the suite sends is scoped by it (tests/conftest.py) would catch
one that is not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import (
    ForeignKeyConstraint,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
    update,
)

from clientledger.accounting.verify import verify
from clientledger.db import Database
from clientledger.demo import load_demo
from clientledger.models import (
    GLOBAL_TABLES,
    TENANT_TABLES,
    bill_items,
    bill_lines,
    bills,
    clients,
    metadata,
    payments,
    practices,
    same_practice,
)
from clientledger.models.base import NAMING
from clientledger.payments.processors.simulated import SimulatedProcessor
from tests.conftest import make_database_url
from tests.support.tenant_scope import unscoped_tables

# Written out, so a new table must be placed on one side or the other on purpose.
EXPECTED_GLOBAL = {
    "practices",
    "email_directory",
    "token_directory",
    "login_attempts",
    "charge_directory",
    "processor_events",
}


def _tenant() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name in TENANT_TABLES]


def test_every_table_is_either_a_tenant_table_or_a_named_global_one() -> None:
    assert set(GLOBAL_TABLES) == EXPECTED_GLOBAL
    assert set(metadata.tables) == TENANT_TABLES | GLOBAL_TABLES
    for table in _tenant():
        assert "practice_id" in table.c, table.name
        assert not table.c.practice_id.nullable, table.name


def test_practice_id_leads_every_tenant_primary_key() -> None:
    for table in _tenant():
        assert next(c.name for c in table.primary_key.columns) == "practice_id", table.name


def test_every_reference_between_tenant_rows_stays_inside_the_practice() -> None:
    refs = 0
    for table in _tenant():
        for fk in table.constraints:
            if not isinstance(fk, ForeignKeyConstraint):
                continue
            target = fk.referred_table.name
            pairs = {(e.parent.name, e.column.name) for e in fk.elements}
            if target in GLOBAL_TABLES:
                # The root: a tenant row names its practice, and nothing else global.
                assert target == "practices" and pairs == {("practice_id", "id")}, (table.name, fk.name)
                continue
            refs += 1
            assert ("practice_id", "practice_id") in pairs, (table.name, fk.name)
            assert [c.name for c in fk.referred_table.primary_key.columns] == [e.column.name for e in fk.elements]
    assert refs >= 27


def test_every_unique_key_of_a_tenant_table_includes_practice_id() -> None:
    uniques = 0
    for table in _tenant():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                uniques += 1
                assert "practice_id" in constraint.columns, (table.name, constraint.name)
        for index in table.indexes:
            assert isinstance(index, Index)
            if index.unique:
                uniques += 1
                assert "practice_id" in {c.name for c in index.columns}, (table.name, index.name)
        for column in table.columns:
            assert not column.unique, (table.name, column.name)
    assert uniques >= 5


def test_the_database_refuses_a_row_pointing_into_another_practice(db: Database) -> None:
    now = "2026-11-02 12:00:00"
    with db.engine.begin() as conn:
        for p in ("pa", "pb"):
            conn.execute(
                text("INSERT INTO practices (id, name, auto_apply_credit, created_at) VALUES (:p, :p, TRUE, :now)"),
                {"p": p, "now": now},
            )
        conn.execute(
            text(
                "INSERT INTO clients (id, practice_id, name, name_key, billing, credit_balance, balance_due, "
                "created_at) VALUES ('c1', 'pa', 'A client', 'a client', 'self_pay', 0, 0, :now)"
            ),
            {"now": now},
        )
    with pytest.raises(Exception, match=r"(?i)foreign key"), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO bills (id, practice_id, client_id, status, apply_available_credit, "
                "client_responsibility, client_paid, balance_due, insurance_due, created_at, number) "
                "VALUES ('b1', 'pb', 'c1', 'open', TRUE, 0, 0, 0, 0, :now, 1)"
            ),
            {"now": now},
        )


# The statement check itself: it must refuse what it is there to refuse.


def _check(sql: str, dialect: str = "sqlite") -> list[str]:
    return [u.table for u in unscoped_tables(sql, dialect=dialect, tenant_tables=TENANT_TABLES)]


def _sql(stmt: object) -> str:
    return str(stmt.compile(compile_kwargs={"literal_binds": False}))  # type: ignore[attr-defined]


def test_the_statement_check_refuses_an_unscoped_read_write_or_join() -> None:
    assert _check(_sql(select(bills.c.id).where(bills.c.id == "b1"))) == ["bills"]
    assert _check(_sql(update(clients).where(clients.c.id == "c1").values(balance_due=0))) == ["clients"]
    assert _check(_sql(delete(payments).where(payments.c.id == "x"))) == ["payments"]
    # Scoped on one side of the join only: the other table may be any practice's.
    joined = select(bills.c.id).select_from(bills.join(bill_items, bill_items.c.bill_id == bills.c.id))
    assert _check(_sql(joined.where(bills.c.practice_id == "p"))) == ["bill_items"]
    # An OR does not pin the practice.
    assert _check("SELECT id FROM bills WHERE practice_id = ? OR id = ?") == ["bills"]
    assert _check("INSERT INTO bill_lines (id, bill_id, type, amount, created_at) VALUES (?, ?, ?, ?, ?)") == [
        "bill_lines"
    ]
    # A correlated subquery must pin its own table too.
    assert _check(
        "SELECT id FROM bills WHERE practice_id = %(p)s "
        "AND EXISTS (SELECT 1 FROM bill_lines WHERE bill_lines.bill_id = bills.id)",
        "postgresql",
    ) == ["bill_lines"]


def test_the_statement_check_accepts_statements_pinned_to_one_practice() -> None:
    joined = (
        select(bills.c.id)
        .select_from(bills.join(bill_lines, same_practice(bill_lines, bills, bill_lines.c.bill_id == bills.c.id)))
        .where(bills.c.practice_id == "p", bills.c.id == "b")
    )
    assert _check(_sql(joined)) == []
    assert (
        _check(_sql(update(clients).where(clients.c.practice_id == "p", clients.c.id == "c").values(balance_due=0)))
        == []
    )
    assert _check("SELECT id FROM bills WHERE practice_id IN (?, ?) AND client_id = ?") == []
    assert (
        _check(
            "SELECT id FROM bills WHERE practice_id = %(p)s AND EXISTS (SELECT 1 FROM bill_lines "
            "WHERE bill_lines.practice_id = bills.practice_id AND bill_lines.bill_id = bills.id)",
            "postgresql",
        )
        == []
    )
    assert _check("SELECT id FROM practices WHERE name = ?") == []
    assert _check("SELECT practice_id FROM token_directory WHERE token_hash = ?") == []
    assert _check("CREATE INDEX ix_x ON bills (client_id)") == []
    assert _check("PRAGMA foreign_key_check") == []


def test_the_suite_fails_a_test_that_sends_an_unscoped_statement(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The autouse check in tests/conftest.py, run on a test that reads bills of every practice."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makepyfile(
        test_unscoped="""
        from sqlalchemy import select
        from clientledger.models import bills

        def test_reads_every_practice(db):
            with db.engine.connect() as conn:
                conn.execute(select(bills.c.id)).all()

        def test_reads_one_practice(db):
            with db.engine.connect() as conn:
                conn.execute(select(bills.c.id).where(bills.c.practice_id == "p")).all()
        """
    )
    result = pytester.runpytest_subprocess("-p", "tests.conftest", "-p", "no:playwright", "-q", "-k", "sqlite")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*statements not scoped by practice_id*", "*SELECT bills.id*FROM bills*"])


@pytest.mark.postgres
def test_the_demo_runs_on_tables_hash_partitioned_by_practice(tmp_path: Path) -> None:
    """PostgreSQL holds a partitioned table to the rule a sharded one is held to (every primary and
    unique key includes the partition column), and references point into one practice's partition:
    the schema builds that way, and the whole demo story runs on it with the ledger verified."""
    for url in make_database_url("postgres", tmp_path):
        shaped = MetaData(naming_convention=NAMING)
        for table in metadata.sorted_tables:
            copy = table.to_metadata(shaped)
            if table.name in TENANT_TABLES:
                copy.dialect_kwargs["postgresql_partition_by"] = "HASH (practice_id)"
        db = Database(url)
        try:
            with db.engine.begin() as conn:
                shaped.create_all(conn)
                for name in sorted(TENANT_TABLES):
                    for n in range(4):
                        conn.execute(
                            text(
                                f"CREATE TABLE {name}_{n} PARTITION OF {name} "
                                f"FOR VALUES WITH (MODULUS 4, REMAINDER {n})"
                            )
                        )
                partitioned = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                        "WHERE c.relnamespace = current_schema()::regnamespace"
                    )
                ).scalar()
            assert load_demo(db, SimulatedProcessor())
            with db.engine.connect() as conn:
                problems = verify(conn)
                practice_id = conn.execute(select(practices.c.id)).scalar_one()
                due = conn.execute(
                    select(func.count()).select_from(bills).where(bills.c.practice_id == practice_id)
                ).scalar_one()
        finally:
            db.dispose()
    assert partitioned == len(TENANT_TABLES)
    assert problems == []
    assert due > 0
