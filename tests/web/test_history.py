"""History sections: a bill's and each credit lot's audit trail, naming who did what and when."""

from __future__ import annotations

import html
import re
import uuid

from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import API, Api
from tests.web.desk import signed_in

_ROW = re.compile(r'<tr><td class="nowrap">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>')


def _history(page: str, heading: str) -> list[tuple[str, str]]:
    """The (who, what) rows of the History section whose heading starts with ``heading``."""
    start = page.index(f">{heading}")
    section = page[start : page.index("</section>", start)]
    return [(html.unescape(who), html.unescape(what)) for _when, who, what in _ROW.findall(section)]


def _named_biller(owner: Api, name: str = "Bea Biller") -> Api:
    """A biller with a name, signed in through the API."""
    email = f"bea-{uuid.uuid4().hex[:8]}@example.com"
    owner.post("/users", {"email": email, "password": "staff-pass-1", "role": "biller", "name": name}, expect=201)
    r = owner.http.post(f"{API}/auth/tokens", json={"email": email, "password": "staff-pass-1"})
    assert r.status_code == 201, r.text
    return Api(owner.http, r.json()["token"], owner.practice_id, email)


def test_a_bills_history_names_who_paid_returned_and_removed_credit(owner: Api, db: Database, http: TestClient) -> None:
    bea = _named_biller(owner)
    client = owner.client("Ada")
    owner.prepay(client["id"], "cash", 10000)
    bill = bea.session_bill(client["id"], 30000)
    credit_line = bill["lines"][0]
    card = bea.pay(bill["id"], "card", 20000)
    bea.post(f"/bills/{bill['id']}/lines/{credit_line['id']}/refund", {"amount": 1000}, expect=200)
    owner.call("DELETE", f"/bills/{bill['id']}/lines/{credit_line['id']}", expect=204)
    bea.post(f"/payments/{card['payment_id']}/refunds", {"amount": 500, "reason": "Charged twice"}, expect=201)

    page = signed_in(owner, db, http, role="clinician").page(f"/bills/{bill['id']}")

    assert _history(page, "History") == [
        ("Bea Biller", "Bill created, $100.00 of credit applied"),
        ("Bea Biller", "Card payment of $200.00"),
        ("Bea Biller", "Credit returned to the account ($10.00)"),
        (owner.email, "Credit line removed for good ($90.00)"),
        ("Bea Biller", "Refund of $5.00 — Reason: Charged twice"),
    ]
    lot_page = signed_in(owner, db, http).page(f"/clients/{client['id']}/billing")
    assert _history(lot_page, "History: Prepayment credit") == [
        (owner.email, "Prepayment of $100.00 to credit"),
        ("Bea Biller", "Bill created, $100.00 of credit applied"),
        ("Bea Biller", "Credit returned to the account ($10.00)"),
        (owner.email, "Credit line removed for good ($90.00)"),
    ]


def test_a_lots_history_shows_its_removal_and_returns_with_the_persons_name(
    owner: Api, db: Database, http: TestClient
) -> None:
    bea = _named_biller(owner, "Bea Biller")
    client = owner.client("Bo")
    lot = bea.post(
        f"/clients/{client['id']}/credits", {"amount": 5000, "reason": "courtesy", "note": "Welcome"}, expect=201
    )
    bea.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 500, "note": "Too generous"}, expect=200)
    owner.prepay(client["id"], "check", 2000)
    bill = owner.session_bill(client["id"], 6000)  # $45.00 from the courtesy lot, $15.00 from the prepayment
    line = bill["lines"][0]
    bea.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", {"amount": 700}, expect=200)  # back to the last drawn

    page = signed_in(owner, db, http).page(f"/clients/{client['id']}/billing")

    assert _history(page, "History: Manual credit") == [
        ("Bea Biller", "Credit added ($50.00) · Courtesy — Welcome"),
        ("Bea Biller", "Credit removed ($5.00) — Too generous"),
        (owner.email, "Bill created, $60.00 of credit applied"),
    ]
    assert _history(page, "History: Prepayment credit") == [
        (owner.email, "Prepayment of $20.00 to credit"),
        (owner.email, "Bill created, $60.00 of credit applied"),
        ("Bea Biller", "Credit returned to the account ($7.00)"),
    ]


def test_the_audit_api_names_the_user(owner: Api) -> None:
    bea = _named_biller(owner, "Bea Biller")
    client = bea.client("Cy")

    events = owner.get(f"/audit?object_id={client['id']}")["data"]

    assert [(e["action"], e["user_name"], e["user_id"] is not None) for e in events] == [
        ("client.created", "Bea Biller", True)
    ]
