"""Reports from the journal: the credit liability at a date, and the journal itself (JSON and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

from clientledger.kit.days import PracticeDay
from tests.api.conftest import API, Api
from tests.factories import Ledger, an_insured_bill


def _today() -> dt.date:
    return PracticeDay().today()  # the practice's (New York's) day, which the reports' days are


def test_credit_balances_per_client_and_total_from_the_journal(owner: Api) -> None:
    ada, bo, cy = owner.client("Ada"), owner.client("Bo"), owner.client("Cy")
    owner.prepay(ada["id"], "cash", 50000)
    owner.session_bill(ada["id"], 15000)
    owner.post(f"/clients/{bo['id']}/credits", {"amount": 2500, "reason": "courtesy"}, expect=201)

    report = owner.get(f"/reports/credit-balances?as_of={_today().isoformat()}")

    balances = {c["client_id"]: c["credit_balance"] for c in report["clients"]}
    assert balances == {ada["id"]: 35000, bo["id"]: 2500, cy["id"]: 0}
    assert report["total"] == 37500 and report["as_of"] == _today().isoformat()
    assert owner.get("/reports/credit-balances")["total"] == 37500


def test_credit_balances_before_anything_happened_are_empty(owner: Api) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 1000)
    yesterday = (_today() - dt.timedelta(days=1)).isoformat()
    assert owner.get(f"/reports/credit-balances?as_of={yesterday}") == {"as_of": yesterday, "clients": [], "total": 0}


def test_journal_pages_through_balanced_entries(owner: Api) -> None:
    client = owner.client()
    owner.prepay(client["id"], "card", 30000)
    bill = owner.session_bill(client["id"], 15000)
    owner.post(f"/bills/{bill['id']}/lines/{bill['lines'][0]['id']}/refund", expect=200)

    entries, cursor = [], None
    while True:
        page = owner.get("/reports/journal?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        entries += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [e["kind"] for e in entries] == ["prepayment", "bill_created", "credit_line_refunded"]
    for entry in entries:
        assert sum(p["amount"] for p in entry["postings"]) == 0
    assert entries == owner.get("/reports/journal?limit=200")["data"]


def test_journal_as_csv_and_by_date(owner: Api) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 1000)
    owner.prepay(client["id"], "check", 2000)

    r = owner.http.get(f"{API}/reports/journal", headers={**owner.headers(), "Accept": "text/csv"})

    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    per_entry: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        per_entry[row["entry_id"]] += int(row["amount"])
    assert len(per_entry) == 2 and set(per_entry.values()) == {0}
    assert {row["account"] for row in rows} == {"cash:cash", "cash:check", "client_credit"}
    tomorrow = (_today() + dt.timedelta(days=1)).isoformat()
    assert owner.get(f"/reports/journal?from={tomorrow}")["data"] == []
    assert len(owner.get(f"/reports/journal?to={_today().isoformat()}")["data"]) == 2
    assert owner.get(f"/reports/journal?from={tomorrow}&to={_today().isoformat()}", expect=422)


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)", "\tTAB", "=cmd"]


def test_journal_csv_escapes_text_a_spreadsheet_would_run_and_keeps_amounts_numbers(owner: Api, ledger: Ledger) -> None:
    client = owner.client('=HYPERLINK("http://evil.example")')
    hyperlink = owner.prepay(client["id"], "cash", 3000, memo=FORMULAS[0])
    lot = owner.post(f"/clients/{client['id']}/credits", {"amount": 500, "reason": "other", "note": "+1"}, expect=201)
    owner.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 100, "note": "-2"}, expect=200)
    owner.post(f"/payments/{hyperlink['id']}/refunds", {"amount": 700, "reason": "@SUM(A1)"}, expect=201)
    owner.prepay(client["id"], "check", 1000, memo="\tTAB")
    owner.prepay(client["id"], "check", 1000, memo="Check #1042")
    bill = owner.get(f"/bills/{an_insured_bill(ledger, copay_paid_by='card')[1].id}")
    item = bill["items"][0]
    eob = {"item_id": item["id"], "payer": "=cmd", "paid": 8000, "patient_responsibility": 2000}
    owner.post(
        f"/bills/{bill['id']}/insurance-payments",
        {**eob, "adjustments": [{"group": "PR", "reason": "2", "amount": 2000}]},
        expect=200,
    )

    r = owner.http.get(f"{API}/reports/journal", headers={**owner.headers(), "Accept": "text/csv"})

    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    memos = {row["memo"] for row in rows}
    assert {"'" + f for f in FORMULAS[:5]} <= memos
    assert f"'=cmd {item['claim_ref']}" in memos and "Check #1042" in memos
    for row in rows:
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r")) for name, cell in row.items() if name != "amount"
        )
    amounts = [row["amount"] for row in rows]
    assert all(a.lstrip("-").isdigit() for a in amounts), amounts
    assert "-3000" in amounts and "3000" in amounts
    per_entry: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        per_entry[row["entry_id"]] += int(row["amount"])
    assert set(per_entry.values()) == {0}


def test_audit_names_who_did_what_to_which_object(owner: Api) -> None:
    biller = owner.login_as("biller")
    client = biller.client()
    bill = biller.session_bill(client["id"], 15000)
    line = biller.pay(bill["id"], "cash", 15000)

    events = owner.get(f"/audit?object_id={bill['id']}")["data"]

    assert [e["action"] for e in events] == ["bill.payment_added", "bill.created"]
    biller_id = owner.get("/audit?limit=200")["data"]
    assert {e["user_id"] for e in events} == {
        next(e["user_id"] for e in biller_id if e["action"] == "client.created" and client["id"] in e["object_ids"])
    }
    assert line["id"] in events[0]["object_ids"] and events[0]["request_id"]
    first = owner.get("/audit?limit=1")
    assert len(first["data"]) == 1 and first["next_cursor"]
    assert owner.get(f"/audit?limit=1&cursor={first['next_cursor']}")["data"][0]["id"] < first["data"][0]["id"]
