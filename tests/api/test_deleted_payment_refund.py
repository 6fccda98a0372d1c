"""A payment removed as recorded in error has nothing left to refund."""

from __future__ import annotations

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems


def test_refunding_a_cash_payment_removed_in_error_is_payment_deleted(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 10000)
    cash = owner.pay(bill["id"], "cash", 10000)
    removed = owner.http.delete(f"{API}/bills/{bill['id']}/lines/{cash['id']}", headers=owner.headers())
    assert removed.status_code == 204, removed.text

    refused = owner.post(f"/payments/{cash['payment_id']}/refunds", {"amount": 1000}, expect=409)

    assert refused["error"]["code"] == "payment_deleted"
    assert owner.get(f"/payments/{cash['payment_id']}")["refunds"] == []
    assert ledger_problems(db) == []
