"""`POST /bills/{id}/apply-credit`: pay an open bill from the client's credit, oldest lot first."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from clientledger.billing import service as billing
from clientledger.db import Database
from clientledger.kit.errors import ClientLedgerError
from tests.api.conftest import Api, ledger_problems, new_owner
from tests.factories import Ledger, a_void_bill


def _open_bill(owner: Api, client_id: str, fee: int = 15000) -> str:
    return str(owner.session_bill(client_id, fee, apply_available_credit=False)["id"])


def test_by_default_it_applies_all_the_credit_the_bill_can_take(owner: Api, db: Database) -> None:
    client = owner.client("Credit Cora")
    owner.prepay(client["id"], "cash", 5000)
    bill_id = _open_bill(owner, client["id"])

    line = owner.post(f"/bills/{bill_id}/apply-credit", expect=201)

    assert (line["type"], line["amount"], line["deduct_from_credit_balance"]) == ("client_credit", 5000, True)
    assert line == next(x for x in owner.get(f"/bills/{bill_id}")["lines"] if x["id"] == line["id"])
    assert owner.get(f"/bills/{bill_id}")["balance_due"] == 10000
    assert owner.credit_balance(client["id"]) == 0
    assert ledger_problems(db) == []


def test_the_default_stops_at_the_balance_due(owner: Api) -> None:
    client = owner.client("Rich Credit Rae")
    owner.prepay(client["id"], "cash", 50000)
    bill_id = _open_bill(owner, client["id"])

    line = owner.post(f"/bills/{bill_id}/apply-credit", {}, expect=201)

    assert line["amount"] == 15000
    assert owner.get(f"/bills/{bill_id}")["status"] == "paid"
    assert owner.credit_balance(client["id"]) == 35000


def test_a_custom_amount_draws_the_oldest_lot_first(owner: Api) -> None:
    client = owner.client("Lots Lou")
    older = owner.post(f"/clients/{client['id']}/credits", {"amount": 3000, "reason": "courtesy"}, expect=201)
    newer = owner.post(f"/clients/{client['id']}/credits", {"amount": 4000, "reason": "discount"}, expect=201)
    bill_id = _open_bill(owner, client["id"])

    line = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 5000}, expect=201)

    assert [(d["lot_id"], d["amount"]) for d in line["lots"]] == [(older["id"], 3000), (newer["id"], 2000)]
    lots = {lot["id"]: lot["remaining"] for lot in owner.get(f"/clients/{client['id']}/credits")["lots"]}
    assert lots == {older["id"]: 0, newer["id"]: 2000}
    assert owner.get(f"/bills/{bill_id}")["balance_due"] == 10000


def test_more_than_the_credit_or_the_balance_due_is_refused_and_changes_nothing(owner: Api) -> None:
    client = owner.client("Short Shay")
    owner.prepay(client["id"], "cash", 2000)
    bill_id = _open_bill(owner, client["id"], fee=10000)
    broke = owner.client("No Credit Nell")
    broke_bill = _open_bill(owner, broke["id"])

    too_much = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 3000}, expect=422)
    over_due = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 10001}, expect=422)
    none = owner.post(f"/bills/{broke_bill}/apply-credit", expect=422)
    cents = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 10.5}, expect=422)

    assert too_much["error"]["code"] == "insufficient_credit"
    assert over_due["error"]["code"] == "exceeds_balance_due"  # checked before the credit (rule 3)
    assert none["error"]["code"] == "insufficient_credit"
    assert cents["error"]["code"] == "validation_error"
    assert owner.get(f"/bills/{bill_id}")["lines"] == [] and owner.credit_balance(client["id"]) == 2000


def test_a_paid_bill_has_nothing_to_take_credit_for(owner: Api) -> None:
    client = owner.client("Paid Pia")
    owner.prepay(client["id"], "cash", 2000)
    bill_id = _open_bill(owner, client["id"])
    owner.pay(bill_id, "cash", 15000)

    refused = owner.post(f"/bills/{bill_id}/apply-credit", expect=422)

    assert refused["error"]["code"] == "exceeds_balance_due"
    assert owner.credit_balance(client["id"]) == 2000


def test_a_void_bill_is_409_bill_void(owner: Api, ledger: Ledger) -> None:
    client, bill = a_void_bill(ledger)
    credit = owner.credit_balance(client.id)

    refused = owner.post(f"/bills/{bill.id}/apply-credit", {"amount": 100}, expect=409)
    default = owner.post(f"/bills/{bill.id}/apply-credit", expect=409)

    assert refused["error"]["code"] == default["error"]["code"] == "bill_void"
    assert credit > 0 and owner.credit_balance(client.id) == credit
    assert ledger.get_bill(bill.id).lines == bill.lines


def test_a_retry_with_the_same_key_replays_and_spends_once(owner: Api) -> None:
    client = owner.client("Retry Remy")
    owner.prepay(client["id"], "cash", 9000)
    bill_id = _open_bill(owner, client["id"])

    first = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 4000}, key="apply-1", expect=201)
    again = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 4000}, key="apply-1", expect=201)
    other = owner.post(f"/bills/{bill_id}/apply-credit", {"amount": 1000}, key="apply-1", expect=409)

    assert again == first
    assert other["error"]["code"] == "idempotency_key_reused"
    assert owner.credit_balance(client["id"]) == 5000
    assert len(owner.get(f"/bills/{bill_id}")["lines"]) == 1


def test_a_clinician_may_not_and_another_practices_bill_is_404(owner: Api, http: TestClient, db: Database) -> None:
    client = owner.client("Role Rory")
    owner.prepay(client["id"], "cash", 3000)
    bill_id = _open_bill(owner, client["id"])
    clinician = owner.login_as("clinician")

    assert clinician.post(f"/bills/{bill_id}/apply-credit", expect=403)["error"]["code"] == "forbidden"
    assert owner.login_as("biller").post(f"/bills/{bill_id}/apply-credit", expect=201)["amount"] == 3000
    other = new_owner(http, db)
    theirs = other.client("Their Tess")
    other.prepay(theirs["id"], "cash", 3000)
    their_bill = _open_bill(other, theirs["id"])
    assert owner.post(f"/bills/{their_bill}/apply-credit", expect=404)["error"]["code"] == "not_found"
    assert other.credit_balance(theirs["id"]) == 3000


def test_parallel_apply_credit_on_one_clients_bills_never_overspends(ledger: Ledger) -> None:
    for round_ in range(4):
        client = ledger.client(f"Race Rita {round_}")
        ledger.manual_credit(client.id, 10000)
        bills = [ledger.bill(client.id, [ledger.appointment(client.id).id], apply_credit=False).id for _ in range(2)]
        start = threading.Barrier(2)

        def apply(bill_id: str, start: threading.Barrier = start) -> str:
            start.wait()
            try:
                ledger.do(billing.apply_credit_to_bill, bill_id=bill_id, amount=10000)
            except ClientLedgerError as exc:
                return exc.code
            return "ok"

        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(apply, bills))

        assert outcomes == ["insufficient_credit", "ok"]
        assert ledger.get_client(client.id).credit_balance == 0
        assert sum(ledger.get_bill(b).balance_due for b in bills) == 30000 - 10000
    assert ledger.verify() == []
