"""v1.1: a bill on which nothing is billed any more is ``void``, and takes no payment of any kind."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from clientledger.db import Database
from tests.api.conftest import Api, ledger_problems
from tests.factories import Ledger, a_void_bill

PAYMENTS = [
    {"type": "card", "amount": 1000},
    {"type": "cash", "amount": 1000},
    {"type": "check", "amount": 1000},
    {"type": "client_credit", "amount": 1000},
    {"type": "client_credit", "amount": 1000, "deduct_from_credit_balance": False},
]


def _books(owner: Api, client_id: str, bill_id: str) -> tuple[Any, ...]:
    client = owner.get(f"/clients/{client_id}")
    credits = owner.get(f"/clients/{client_id}/credits")
    journal = owner.get("/reports/journal")
    return (client["credit_balance"], client["balance_due"], credits["lots"], owner.get(f"/bills/{bill_id}"), journal)


@pytest.mark.parametrize("payment", PAYMENTS, ids=lambda p: f"{p['type']}-{p.get('deduct_from_credit_balance', '')}")
def test_every_payment_type_on_a_void_bill_is_409_bill_void_and_moves_nothing(
    owner: Api, ledger: Ledger, db: Database, app: FastAPI, monkeypatch: pytest.MonkeyPatch, payment: dict[str, Any]
) -> None:
    client, bill = a_void_bill(ledger)
    assert owner.get(f"/bills/{bill.id}")["status"] == "void"
    charges: list[int] = []
    processor = app.state.runner.processor
    real_charge = processor.charge

    def spy(**kwargs: Any) -> Any:
        charges.append(kwargs["amount"])
        return real_charge(**kwargs)

    monkeypatch.setattr(processor, "charge", spy)
    before = _books(owner, client.id, bill.id)

    for key in (None, "void-bill-payment-1"):
        r = owner.http.post(f"/api/v1/bills/{bill.id}/payments", json=payment, headers=owner.headers(key))
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "bill_void"

    assert charges == []  # the card was never charged
    assert _books(owner, client.id, bill.id) == before
    assert ledger_problems(db) == []


def test_an_insurance_payment_on_a_void_bill_is_409_bill_void(owner: Api, ledger: Ledger, db: Database) -> None:
    client, bill = a_void_bill(ledger, billing="insurance")
    before = _books(owner, client.id, bill.id)
    body = {"item_id": bill.items[0].id, "payer": "AETNA", "paid": 0, "patient_responsibility": 0}
    r = owner.http.post(f"/api/v1/bills/{bill.id}/insurance-payments", json=body, headers=owner.headers())
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "bill_void"
    assert _books(owner, client.id, bill.id) == before
    assert ledger_problems(db) == []


def test_a_void_bill_billed_again_takes_payments(owner: Api) -> None:
    client = owner.client()
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    owner.post(f"/appointments/{appt['id']}/status", {"status": "no_show"}, expect=200)
    assert owner.get(f"/bills/{bill['id']}")["status"] == "void"
    result = owner.post(f"/appointments/{appt['id']}/status", {"status": "attended"}, expect=200)
    assert result["bill"]["status"] == "open"
    line = owner.pay(bill["id"], "card", 15000)
    assert line["amount"] == 15000 and owner.get(f"/bills/{bill['id']}")["status"] == "paid"
