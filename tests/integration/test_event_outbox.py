"""The outbox as the write path leaves it: written with the movement, both ways ``Writes`` sends
statements (through SQLAlchemy while anyone listens, else straight to the driver, pipelined on
PostgreSQL), and each credit event's ``credit_balance`` exact, concurrent writers included.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from clientledger.accounting.accounts import ADJUST_DISCOUNT, CLIENT_CREDIT
from clientledger.accounting.journal import record
from clientledger.accounting.outbox import DRAWS
from clientledger.accounting.posting import cr, dr
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import new_lot_row
from clientledger.accounting.writes import _observed
from clientledger.db import Database, Tx
from clientledger.events import service as events
from clientledger.events.schemas import EventRead
from clientledger.kit.vocabulary import EntryKind, EventType
from tests.factories import Ledger, a_card_payment, an_insured_bill
from tests.integration.test_ledger_properties import _run, actions


@pytest.fixture(params=["through SQLAlchemy", "straight to the driver"])
def path(request: pytest.FixtureRequest, db: Database) -> str:
    if request.param == "straight to the driver":
        request.getfixturevalue("unwatched")
        with db.engine.connect() as conn:
            assert not _observed(conn)
    return str(request.param)


def all_events(ledger: Ledger) -> list[EventRead]:
    out: list[EventRead] = []
    cursor = None
    while True:
        page = ledger.look(events.list_events, limit=200, cursor=cursor)
        out += page
        if len(page) < 200:
            return out
        cursor = page[-1].id


def running_balances_hold(found: list[EventRead], balances: dict[str, int]) -> None:
    """Each credit event states the running sum of its client's credit events; the sums end at the balances."""
    running: defaultdict[str, int] = defaultdict(int)
    for e in found:
        sign = e.type.credit_sign
        if not sign:
            assert "credit_balance" not in e.data
            continue
        assert e.data["amount"] > 0
        running[e.data["client_id"]] += sign * e.data["amount"]
        assert e.data["credit_balance"] == running[e.data["client_id"]], e
    assert {c: running[c] for c in balances} == balances


@pytest.mark.usefixtures("path")
def test_a_mixed_day_of_movements_leaves_exact_running_balances(ledger: Ledger) -> None:
    ada = ledger.client("Ada")
    ledger.prepay(ada.id, "card", 40000)
    bill = ledger.bill(ada.id, [ledger.appointment(ada.id, fee=15000).id])
    ledger.refund_line(bill.id, bill.lines[0].id, 6000)
    lot = ledger.manual_credit(ada.id, 2500)
    ledger.remove_credit(ada.id, lot.id, 500)
    card_bill, card_line = a_card_payment(ledger, "Bo", amount=21000)
    assert card_line.payment_id is not None
    ledger.refund(card_line.payment_id, 8000)
    failing_bill, failing = a_card_payment(ledger, "Cy", payment_method="pm_card_refundFail", amount=20000)
    assert failing.payment_id is not None
    assert ledger.refund(failing.payment_id, 7000).status == "failed"
    insured, insured_bill = an_insured_bill(ledger, copay_paid_by="cash")
    ledger.insurance_payment(
        insured_bill.id, insured_bill.items[0].id, payer="BRHP1", paid=8000, patient_responsibility=2000,
        adjustments=[("PR", "2", 2000)],
    )  # fmt: skip

    found = all_events(ledger)

    clients = [ada.id, card_bill.client_id, failing_bill.client_id, insured.id]
    running_balances_hold(found, {c: ledger.get_client(c).credit_balance for c in clients})
    kinds = {e.type for e in found}
    assert kinds == set(EventType), set(EventType) - kinds
    assert [e.id for e in found] == sorted(e.id for e in found)


@pytest.mark.usefixtures("path")
def test_an_entry_that_fails_after_it_was_recorded_leaves_no_event(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.manual_credit(client.id, 1000)
    before = all_events(ledger)

    def grant_then_fail(tx: Tx) -> None:
        new = NewRows()
        lot = new_lot_row(tx, client_id=client.id, source="manual", amount=500)
        new.lots[lot["id"]] = lot
        lines = [dr(ADJUST_DISCOUNT, 500), cr(CLIENT_CREDIT, 500, lot_id=lot["id"])]
        record(tx, kind=EntryKind.MANUAL_CREDIT, client_id=client.id, lines=lines, new=new)
        assert len(events.list_events(tx, limit=1000)) == len(before) + 1  # written, in this transaction...
        raise RuntimeError("the use case fails after recording")

    with pytest.raises(RuntimeError):
        ledger.run(grant_then_fail)
    assert all_events(ledger) == before  # ...and rolled back with it
    assert ledger.get_client(client.id).credit_balance == 1000


def test_concurrent_bills_of_one_client_each_state_the_balance_they_left(db: Database, ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "cash", 8 * 5 * 1000)
    appointments = [ledger.appointment(client.id, fee=1000).id for _ in range(8 * 5)]
    errors: list[BaseException] = []

    def bills(worker: int) -> None:
        try:
            for appointment_id in appointments[worker::8]:
                ledger.bill(client.id, [appointment_id])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bills, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors

    found = all_events(ledger)
    assert sum(e.type is EventType.CREDIT_APPLIED for e in found) == 40
    running_balances_hold(found, {client.id: 0})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_any_sequence_of_movements_keeps_the_credit_events_summing_to_the_balance(
    ledger: Ledger, steps: list[tuple[Any, ...]]
) -> None:
    client = ledger.client()
    before = {e.id for e in all_events(ledger)}
    _run(ledger, client.id, steps)

    found = [e for e in all_events(ledger) if e.id not in before]
    running: defaultdict[str, int] = defaultdict(int)
    for e in all_events(ledger):
        if e.type.credit_sign:
            running[e.data["client_id"]] += e.type.credit_sign * e.data["amount"]
            assert e.data["credit_balance"] == running[e.data["client_id"]]
    assert running[client.id] == ledger.get_client(client.id).credit_balance
    assert all(e.data["amount"] > 0 for e in found if e.type.credit_sign)


def test_every_kind_of_entry_says_what_a_draw_on_credit_means() -> None:
    assert set(DRAWS) == set(EntryKind)
