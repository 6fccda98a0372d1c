"""HTTP: rule 2's rise from an appointment's status (a cancellation fee raised, a canceled session
attended after all) is met from credit on a bill created with credit applied, and only there.

Each bill is created while the client has no credit, then the session is canceled at no fee; the
credit arrives afterwards (two lots, so the oldest-first draw shows), and the status change raises
what the client owes.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientledger.db import Database
from tests.api.conftest import Api, ledger_problems

FEE = 15000
OLDER, NEWER = 3000, 5000


def canceled_bill_then_credit(owner: Api, *, apply: bool) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A client's session billed (credit applied or not), canceled at no fee, then two credit lots."""
    client = owner.client()
    appt = owner.appointment(client["id"], FEE)
    bill = owner.bill(client["id"], [appt["id"]], apply_available_credit=apply)
    assert bill["lines"] == []
    owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled"}, expect=200)
    lots = [
        owner.post(f"/clients/{client['id']}/credits", {"amount": amount, "reason": "courtesy"}, expect=201)["id"]
        for amount in (OLDER, NEWER)
    ]
    return appt, bill, lots


def credit_lines(bill: dict[str, Any]) -> list[tuple[int, list[tuple[str, int]]]]:
    return [
        (ln["amount"], [(d["lot_id"], d["amount"]) for d in ln["lots"]])
        for ln in bill["lines"]
        if ln["type"] == "client_credit"
    ]


@pytest.mark.parametrize(
    ("first_fee", "then", "draws"),
    [
        (None, {"status": "canceled", "fee": 4000}, (3000, 1000)),
        (1000, {"status": "late_canceled", "fee": 5000}, (2000, 2000)),  # the first 1000 came from the older lot
    ],
    ids=["canceled-fee-raised", "late-canceled-at-a-larger-fee"],
)
def test_a_raised_cancellation_fee_is_paid_from_credit_oldest_lot_first(
    owner: Api, db: Database, first_fee: int | None, then: dict[str, Any], draws: tuple[int, int]
) -> None:
    appt, bill, (older, newer) = canceled_bill_then_credit(owner, apply=True)
    if first_fee is not None:
        owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled", "fee": first_fee}, expect=200)
    before = owner.credit_balance(bill["client_id"])

    result = owner.post(f"/appointments/{appt['id']}/status", then, expect=200)

    answered = result["bill"]
    assert credit_lines(answered)[-1] == (4000, [(older, draws[0]), (newer, draws[1])])
    assert (answered["balance_due"], answered["status"]) == (0, "paid")
    assert owner.get(f"/bills/{bill['id']}") == answered
    assert owner.credit_balance(bill["client_id"]) == before - 4000
    assert ledger_problems(db) == []


def test_a_raised_cancellation_fee_on_a_bill_created_without_credit_is_owed(owner: Api, db: Database) -> None:
    appt, bill, _ = canceled_bill_then_credit(owner, apply=False)

    result = owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled", "fee": 4000}, expect=200)

    assert credit_lines(result["bill"]) == []
    assert (result["bill"]["balance_due"], result["bill"]["status"]) == (4000, "open")
    assert owner.credit_balance(bill["client_id"]) == OLDER + NEWER
    assert ledger_problems(db) == []


def test_a_canceled_session_set_back_to_attended_is_paid_from_what_credit_there_is(owner: Api, db: Database) -> None:
    appt, bill, (older, newer) = canceled_bill_then_credit(owner, apply=True)

    result = owner.post(f"/appointments/{appt['id']}/status", {"status": "attended"}, expect=200)

    answered = result["bill"]
    assert credit_lines(answered) == [(OLDER + NEWER, [(older, OLDER), (newer, NEWER)])]
    assert (answered["balance_due"], answered["status"]) == (FEE - OLDER - NEWER, "open")
    assert owner.credit_balance(bill["client_id"]) == 0
    assert ledger_problems(db) == []


def test_a_canceled_session_set_back_to_attended_on_a_bill_without_credit_is_owed(owner: Api, db: Database) -> None:
    appt, bill, _ = canceled_bill_then_credit(owner, apply=False)

    result = owner.post(f"/appointments/{appt['id']}/status", {"status": "attended"}, expect=200)

    assert credit_lines(result["bill"]) == []
    assert (result["bill"]["balance_due"], result["bill"]["status"]) == (FEE, "open")
    assert owner.credit_balance(bill["client_id"]) == OLDER + NEWER
    assert ledger_problems(db) == []


def test_an_insured_session_set_back_to_attended_takes_credit_for_the_copay_only(owner: Api, db: Database) -> None:
    client = owner.client("Ina Insured", billing="insurance", copay=2000)
    appt = owner.appointment(client["id"], FEE)
    bill = owner.bill(client["id"], [appt["id"]], apply_available_credit=True)
    owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled"}, expect=200)
    owner.post(f"/clients/{client['id']}/credits", {"amount": 10000, "reason": "courtesy"}, expect=201)

    answered = owner.post(f"/appointments/{appt['id']}/status", {"status": "attended"}, expect=200)["bill"]

    assert [amount for amount, _ in credit_lines(answered)] == [2000]
    assert (answered["status"], answered["balance_due"], answered["insurance_due"]) == ("paid", 0, FEE - 2000)
    assert owner.credit_balance(bill["client_id"]) == 8000
    assert ledger_problems(db) == []


def test_deleting_or_refunding_a_credit_line_re_applies_nothing(owner: Api, db: Database) -> None:
    """Rule 2: neither is a rise, even with credit left to apply (a guard for the rise above)."""
    client = owner.client()
    owner.prepay(client["id"], "cash", 40000)
    deleted = owner.session_bill(client["id"], FEE)
    refunded = owner.session_bill(client["id"], FEE)
    [deleted_line], [refunded_line] = deleted["lines"], refunded["lines"]

    r = owner.http.delete(f"/api/v1/bills/{deleted['id']}/lines/{deleted_line['id']}", headers=owner.headers())
    owner.post(f"/bills/{refunded['id']}/lines/{refunded_line['id']}/refund", {"amount": 5000}, expect=200)

    assert r.status_code == 204
    after_delete, after_refund = owner.get(f"/bills/{deleted['id']}"), owner.get(f"/bills/{refunded['id']}")
    assert [ln["amount"] for ln in after_delete["lines"]] == [0]
    assert after_delete["balance_due"] == FEE
    assert [ln["amount"] for ln in after_refund["lines"]] == [FEE - 5000]
    assert after_refund["balance_due"] == 5000
    assert owner.credit_balance(client["id"]) == 40000 - 2 * FEE + 5000
    assert ledger_problems(db) == []
