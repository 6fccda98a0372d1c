"""The web UI's insurance pages through HTTP: the bill's "Post insurance payment" form and the 835 upload."""

from __future__ import annotations

import re
from pathlib import Path

from clientledger.db import Database
from tests.api.conftest import ledger_problems
from tests.factories import an_insured_bill
from tests.web.desk import Desk

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"


def test_the_bill_page_posts_an_insurance_payment_and_says_what_became_credit(desk: Desk, db: Database) -> None:
    _, bill = an_insured_bill(desk.ledger, copay_paid_by="card")
    bill_id, item_id = bill.id, bill.items[0].id
    page = desk.page(f"/bills/{bill_id}")
    assert 'aria-label="Post insurance payment for 2026-11-02"' in page

    dialog = desk.get(f"/bills/{bill_id}/insurance-payments/new?item_id={item_id}", htmx=True)
    assert dialog.status_code == 200
    for label in ("Payer", "Insurance paid", "Patient responsibility"):
        assert f">{label}</label>" in dialog.text
    assert 'aria-label="Adjustment 1 group"' in dialog.text

    form = dict(
        item_id=item_id, payer="BRHP1", paid="80", patient_responsibility="20.00", adj_reason_0="", adj_amount_0=""
    )
    status = desk.post(f"/bills/{bill_id}/insurance-payments/new", form)

    assert status == 303 and desk.last_location == f"/bills/{bill_id}"
    after = desk.page(f"/bills/{bill_id}")
    assert "$10.00 the client had paid went to their credit" in after
    bill = desk.ledger.get_bill(bill_id)
    assert (bill.items[0].insurance_paid, bill.items[0].client_responsibility, bill.balance_due) == (8000, 2000, 0)
    assert ledger_problems(db) == []


def test_an_insurance_payment_that_does_not_add_up_is_shown_back_with_the_reason(desk: Desk) -> None:
    _, bill = an_insured_bill(desk.ledger, copay_paid_by="card")
    bill_id, item_id = bill.id, bill.items[0].id
    form = dict(
        item_id=item_id, payer="BRHP1", paid="70", patient_responsibility="20", adj_group_0="CO", adj_reason_0="45",
        adj_amount_0="5",
    )  # fmt: skip

    status = desk.post(f"/bills/{bill_id}/insurance-payments/new", form, htmx=True)

    assert status == 422
    assert "billed at $100.00" in desk.last_text and 'value="BRHP1"' in desk.last_text
    assert desk.ledger.get_bill(bill_id).items[0].insurance_paid == 0


def test_uploading_an_835_shows_the_report_of_every_claim(desk: Desk, db: Database) -> None:
    bill_id = an_insured_bill(desk.ledger, fee=15000, claim_ref="CLM-1006", copay_paid_by="card")[1].id
    page = desk.page("/era-imports/new")
    assert '<label for="era-file">835 file</label>' in page and ">Import</button>" in page

    status = desk.post(
        "/era-imports/new", files={"file": ("remit.835", (FIXTURES / "unmatched_claim.835").read_bytes())}
    )

    assert status == 303
    report = desk.page(desk.last_location)
    assert "Imported SM-88121: 1 of 2 claims posted." in report
    rows = re.findall(r'<tr class="result-(\w+)">\s*<th scope="row">([^<]+)</th>', report)
    assert rows == [("unmatched", "CLM-UNKNOWN"), ("posted", "CLM-1006")]
    assert f'href="/bills/{bill_id}"' in report and "No billed session has claim_ref" in report
    assert ledger_problems(db) == []


def test_a_malformed_upload_or_a_missing_token_posts_nothing(desk: Desk) -> None:
    bill_id = an_insured_bill(desk.ledger, fee=15000, claim_ref="CLM-1001", copay_paid_by="card")[1].id
    malformed = desk.post("/era-imports/new", files={"file": ("remit.835", (FIXTURES / "malformed.835").read_bytes())})
    malformed_text = desk.last_text
    forged = desk.post(
        "/era-imports/new",
        files={"file": ("remit.835", (FIXTURES / "copay_higher_than_pr.835").read_bytes())},
        signed=False,
    )
    nothing = desk.post("/era-imports/new")

    assert malformed == 422 and "ISA header is damaged" in malformed_text
    assert forged == 403
    assert nothing == 422 and "Choose an 835 file" in desk.last_text
    assert desk.ledger.get_bill(bill_id).items[0].insurance_paid == 0


def test_the_bill_page_says_what_the_payer_still_owes_until_it_pays(desk: Desk, db: Database) -> None:
    _, bill = an_insured_bill(desk.ledger, copay=0, fee=10000)
    page = desk.page(f"/bills/{bill.id}")
    assert re.search(r"<dt>Insurance due</dt><dd[^>]*>\$100\.00</dd>", page)
    assert ">Open<" in page

    desk.ledger.insurance_payment(bill.id, bill.items[0].id, payer="BRHP1", paid=10000, patient_responsibility=0)

    after = desk.page(f"/bills/{bill.id}")
    assert re.search(r"<dt>Insurance due</dt><dd[^>]*>\$0\.00</dd>", after)
    assert ">Paid<" in after
    assert ledger_problems(db) == []


def test_a_self_pay_bill_page_says_nothing_of_insurance(desk: Desk) -> None:
    client = desk.ledger.client("Sal Self")
    bill = desk.ledger.bill(client.id, [desk.ledger.appointment(client.id).id])
    assert "Insurance due" not in desk.page(f"/bills/{bill.id}")
