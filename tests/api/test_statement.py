"""A client's statement from the journal: every movement in the range, and totals that tie out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientledger.db import Database
from tests.api.conftest import API, Api, new_owner
from tests.support.clock import at_moment


def _statement(api: Api, client_id: str, query: str = "", *, expect: int = 200) -> dict[str, Any]:
    return api.get(f"/clients/{client_id}/statement{query}", expect=expect)  # type: ignore[no-any-return]


def _ties_out(s: dict[str, Any]) -> None:
    entries = s["entries"]
    charges, payments = sum(e["charges"] for e in entries), sum(e["payments"] for e in entries)
    assert s["opening_balance_due"] + charges - payments == s["closing_balance_due"]
    assert s["opening_credit_balance"] + sum(e["credit"] for e in entries) == s["credit_balance"]


def test_a_statement_lists_every_movement_oldest_first_and_ties_out_with_the_client(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    with at_moment(monkeypatch, dt.datetime(2026, 11, 10, 17)):  # one day in New York, whenever this runs
        _every_movement(owner)


def _every_movement(owner: Api) -> None:
    client = owner.client("Ada Lovelace", billing="insurance", copay=3000)
    cid = client["id"]
    owner.prepay(cid, "cash", 5000)
    first = owner.bill(cid, [owner.appointment(cid, 10000)["id"]])  # $30.00 copay, all from credit
    second = owner.bill(cid, [owner.appointment(cid, 10000)["id"]], apply_available_credit=False)
    card = owner.pay(second["id"], "card", 4500)  # $15.00 over the copay: credit
    owner.post(f"/payments/{card['payment_id']}/refunds", {"amount": 1000, "reason": "Asked for it back"}, expect=201)
    lot = owner.post(f"/clients/{cid}/credits", {"amount": 1000, "reason": "courtesy"}, expect=201)
    owner.post(f"/clients/{cid}/credits/{lot['id']}/remove", {"amount": 500}, expect=200)
    eob = {"item_id": second["items"][0]["id"], "payer": "ACME Health", "paid": 8000, "patient_responsibility": 2000}
    owner.post(f"/bills/{second['id']}/insurance-payments", eob, expect=200)  # $10.00 of the copay back to credit
    third = owner.bill(cid, [owner.appointment(cid, 10000)["id"]], apply_available_credit=False)
    owner.pay(third["id"], "client_credit", 1000)

    s = _statement(owner, cid)

    entries = s["entries"]
    assert [e["kind"] for e in entries] == [
        "prepayment",
        "bill_created",
        "bill_created",
        "payment_received",
        "refund",
        "manual_credit",
        "credit_removed",
        "insurance_payment",
        "bill_created",
        "credit_payment",
    ]
    n1, n2, n3 = first["number"], second["number"], third["number"]
    assert [e["description"] for e in entries] == [
        "Cash prepayment",
        f"Bill #{n1}: 90834 on 2026-11-02, credit applied",
        f"Bill #{n2}: 90834 on 2026-11-02",
        f"Card payment (Visa ending 4242) on Bill #{n2}, overpayment to credit",
        "Refund to card (Visa ending 4242): Asked for it back",
        "Courtesy credit",
        "Credit removed",
        f"Insurance payment from ACME Health on Bill #{n2}",
        f"Bill #{n3}: 90834 on 2026-11-02",
        f"Credit applied to Bill #{n3}",
    ]
    assert [(e["charges"], e["payments"], e["credit"]) for e in entries] == [
        (0, 0, 5000),
        (3000, 3000, -3000),
        (3000, 0, 0),
        (0, 3000, 1500),
        (0, 0, -1000),
        (0, 0, 1000),
        (0, 0, -500),
        (-1000, -1000, 1000),  # the copay fell by $10.00, and the card's $10.00 left the bill for credit
        (3000, 0, 0),
        (0, 1000, -1000),
    ]
    now = owner.get(f"/clients/{cid}")
    assert s["client_id"] == cid and s["from"] == s["to"] == entries[0]["date"]
    assert (s["opening_balance_due"], s["opening_credit_balance"]) == (0, 0)
    assert (
        (s["closing_balance_due"], s["credit_balance"]) == (now["balance_due"], now["credit_balance"]) == (2000, 3000)
    )
    _ties_out(s)


def test_a_statement_opens_and_closes_on_the_practice_days_in_its_time_zone(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner.call("PATCH", "/practice", {"time_zone": "Pacific/Kiritimati"}, expect=200)  # UTC+14
    with at_moment(monkeypatch, dt.datetime(2026, 11, 9, 12, 0)):  # 2026-11-10 02:00 there
        client = owner.client("Far Away")
        owner.prepay(client["id"], "cash", 1000)
    with at_moment(monkeypatch, dt.datetime(2026, 11, 10, 9, 30)):  # 23:30 on 2026-11-10 there
        owner.prepay(client["id"], "check", 2000)
    with at_moment(monkeypatch, dt.datetime(2026, 11, 10, 10, 30)):  # 00:30 on 2026-11-11 there
        owner.prepay(client["id"], "cash", 4000)
        whole = _statement(owner, client["id"])

    late = _statement(owner, client["id"], "?from=2026-11-10&to=2026-11-10")
    next_day = _statement(owner, client["id"], "?from=2026-11-11&to=2026-11-11")

    assert (whole["from"], whole["to"]) == ("2026-11-10", "2026-11-11")
    assert [(e["date"], e["credit"]) for e in whole["entries"]] == [
        ("2026-11-10", 1000),
        ("2026-11-10", 2000),
        ("2026-11-11", 4000),
    ]
    assert [(e["date"], e["description"]) for e in late["entries"]] == [
        ("2026-11-10", "Cash prepayment"),
        ("2026-11-10", "Check prepayment"),
    ]
    assert (late["opening_credit_balance"], late["credit_balance"]) == (0, 3000)
    assert [e["credit"] for e in next_day["entries"]] == [4000]
    assert (next_day["opening_credit_balance"], next_day["credit_balance"]) == (3000, 7000)
    before = _statement(owner, client["id"], "?from=2026-11-09&to=2026-11-09")
    assert before["entries"] == [] and before["credit_balance"] == 0
    for s in (whole, late, next_day, before):
        _ties_out(s)


@pytest.mark.parametrize(
    "query",
    ["?from=2026-11-10&to=2026-11-09", "?from=2026-13-01", "?to=20261101", "?from=2026-1-5", "?to=10000-01-01"],
)
def test_a_statement_refuses_days_that_are_not_a_range(owner: Api, query: str) -> None:
    client = owner.client()

    r = owner.http.get(f"{API}/clients/{client['id']}/statement{query}", headers=owner.headers())

    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"


def test_another_practices_client_and_payment_have_no_documents(owner: Api, db: Database) -> None:
    client = owner.client()
    payment = owner.prepay(client["id"], "cash", 1000)
    intruder = new_owner(owner.http, db)

    for path in (
        f"/clients/{client['id']}/statement",
        f"/payments/{payment['id']}/receipt",
        f"/clients/{client['id']}/superbill",
        "/clients/cl_nobody/statement",
    ):
        r = intruder.http.get(API + path, headers=intruder.headers(Accept="application/pdf"))
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["code"] == "not_found"
    assert _statement(owner, client["id"])["credit_balance"] == 1000
