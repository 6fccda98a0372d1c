"""The web UI's insurance pages through HTTP: the bill's "Post insurance payment" form and the 835 upload."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clientledger.auth.sessions import csrf_token_for, start_session
from clientledger.db import Ctx, Database
from tests.api.conftest import Api, ledger_problems
from tests.factories import Ledger

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"
SESSION_COOKIE = "clientledger_session"


@dataclass
class Staff:
    http: TestClient
    csrf: str
    ledger: Ledger

    def nonce_form(self, **fields: str) -> dict[str, str]:
        return {"csrf_token": self.csrf, "nonce": f"test-nonce-{uuid.uuid4().hex}", **fields}


@pytest.fixture
def staff(owner: Api, db: Database, http: TestClient) -> Staff:
    token, _ = start_session(db, email=owner.email, password="owner-pass-1", idle=timedelta(minutes=30))
    http.cookies.set(SESSION_COOKIE, token)
    return Staff(http=http, csrf=csrf_token_for(token), ledger=Ledger(db, Ctx(practice_id=owner.practice_id)))


def insured_bill(staff: Staff, claim_ref: str | None = None, fee: int = 10000) -> tuple[str, str]:
    ledger = staff.ledger
    client = ledger.client("Ana Rivera", billing="insurance", copay=3000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=fee).id])
    if claim_ref:
        ledger.set_claim_ref(bill.items[0].id, claim_ref)
    ledger.pay(bill.id, "card", 3000)
    return bill.id, bill.items[0].id


def test_the_bill_page_posts_an_insurance_payment_and_says_what_became_credit(staff: Staff, db: Database) -> None:
    bill_id, item_id = insured_bill(staff)
    page = staff.http.get(f"/bills/{bill_id}").text
    assert 'aria-label="Post insurance payment for 2026-11-02"' in page

    dialog = staff.http.get(
        f"/bills/{bill_id}/insurance-payments/new?item_id={item_id}", headers={"HX-Request": "true"}
    )
    assert dialog.status_code == 200
    for label in ("Payer", "Insurance paid", "Patient responsibility"):
        assert f">{label}</label>" in dialog.text
    assert 'aria-label="Adjustment 1 group"' in dialog.text

    form = staff.nonce_form(
        item_id=item_id, payer="BRHP1", paid="80", patient_responsibility="20.00", adj_reason_0="", adj_amount_0=""
    )
    r = staff.http.post(f"/bills/{bill_id}/insurance-payments/new", data=form, follow_redirects=False)

    assert r.status_code == 303 and r.headers["location"] == f"/bills/{bill_id}"
    after = staff.http.get(f"/bills/{bill_id}").text
    assert "$10.00 the client had paid went to their credit" in after
    bill = staff.ledger.get_bill(bill_id)
    assert (bill.items[0].insurance_paid, bill.items[0].client_responsibility, bill.balance_due) == (8000, 2000, 0)
    assert ledger_problems(db) == []


def test_an_insurance_payment_that_does_not_add_up_is_shown_back_with_the_reason(staff: Staff) -> None:
    bill_id, item_id = insured_bill(staff)
    form = staff.nonce_form(
        item_id=item_id, payer="BRHP1", paid="70", patient_responsibility="20", adj_group_0="CO", adj_reason_0="45",
        adj_amount_0="5",
    )  # fmt: skip

    r = staff.http.post(f"/bills/{bill_id}/insurance-payments/new", data=form, headers={"HX-Request": "true"})

    assert r.status_code == 422
    assert "billed at $100.00" in r.text and 'value="BRHP1"' in r.text
    assert staff.ledger.get_bill(bill_id).items[0].insurance_paid == 0


def test_uploading_an_835_shows_the_report_of_every_claim(staff: Staff, db: Database) -> None:
    bill_id, _ = insured_bill(staff, claim_ref="CLM-1006", fee=15000)
    page = staff.http.get("/era-imports/new").text
    assert '<label for="era-file">835 file</label>' in page and ">Import</button>" in page

    r = staff.http.post(
        "/era-imports/new",
        data=staff.nonce_form(),
        files={"file": ("remit.835", (FIXTURES / "unmatched_claim.835").read_bytes())},
        follow_redirects=False,
    )

    assert r.status_code == 303
    report = staff.http.get(r.headers["location"]).text
    assert "Imported SM-88121: 1 of 2 claims posted." in report
    rows = re.findall(r'<tr class="result-(\w+)">\s*<th scope="row">([^<]+)</th>', report)
    assert rows == [("unmatched", "CLM-UNKNOWN"), ("posted", "CLM-1006")]
    assert f'href="/bills/{bill_id}"' in report and "No billed session has claim_ref" in report
    assert ledger_problems(db) == []


def test_a_malformed_upload_or_a_missing_token_posts_nothing(staff: Staff) -> None:
    bill_id, _ = insured_bill(staff, claim_ref="CLM-1001", fee=15000)
    malformed = staff.http.post(
        "/era-imports/new",
        data=staff.nonce_form(),
        files={"file": ("remit.835", (FIXTURES / "malformed.835").read_bytes())},
    )
    forged = staff.http.post(
        "/era-imports/new", files={"file": ("remit.835", (FIXTURES / "copay_higher_than_pr.835").read_bytes())}
    )
    nothing = staff.http.post("/era-imports/new", data=staff.nonce_form())

    assert malformed.status_code == 422 and "ISA header is damaged" in malformed.text
    assert forged.status_code == 403
    assert nothing.status_code == 422 and "Choose an 835 file" in nothing.text
    assert staff.ledger.get_bill(bill_id).items[0].insurance_paid == 0
