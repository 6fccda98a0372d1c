"""``verify`` covers a package's sessions: the count is always the whole shares left in its lot.

Each test brings a package into a state through the use cases, checks the books are clean, then
changes one stored figure behind the ledger's back, as a bug could, and expects ``verify`` to say so.
"""

from __future__ import annotations

from sqlalchemy import Table, update

from clientledger.models import credit_lots, packages
from tests.factories import Ledger


def _package_after_two_sessions(ledger: Ledger) -> tuple[str, str]:
    client = ledger.client("Verified Vera")
    package = ledger.sell_package(client.id, sessions=3, price=30000, type="cash")
    bill = ledger.bill(client.id, [ledger.appointment(client.id).id, ledger.appointment(client.id).id])
    ledger.refund_line(bill.id, bill.lines[0].id)  # one session back to the package
    after = ledger.packages(client.id)[0]
    assert (after.sessions_used, after.sessions_remaining, after.lot_remaining) == (1, 2, 20000)
    assert ledger.verify() == []
    return package.id, package.lot_id


def _set(ledger: Ledger, table: Table, key: str, **values: object) -> None:
    with ledger.db.engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.practice_id == ledger.ctx.practice_id, table.c.id == key).values(**values)
        )


def test_a_stored_session_count_that_is_not_the_lots_is_reported(ledger: Ledger) -> None:
    package_id, _ = _package_after_two_sessions(ledger)
    _set(ledger, packages, package_id, sessions_remaining=1)
    assert ledger.verify() == [f"package {package_id}: sessions_remaining is 1, the journal says 2"]


def test_sessions_used_that_the_lines_do_not_hold_are_reported(ledger: Ledger) -> None:
    package_id, _ = _package_after_two_sessions(ledger)
    _set(ledger, packages, package_id, sessions_used=0)
    assert ledger.verify() == [f"package {package_id}: sessions_used is 0, the journal says 1"]


def test_a_package_whose_lot_is_not_a_package_lot_is_reported(ledger: Ledger) -> None:
    package_id, lot_id = _package_after_two_sessions(ledger)
    _set(ledger, credit_lots, lot_id, source="prepayment")
    assert ledger.verify() == [f"package {package_id}: its lot is 30000 of 'prepayment', not 30000 of 'package'"]
