"""The statement, receipt and superbill as PDF files, read back as a person reads them (``pdftotext``)."""

from __future__ import annotations

import httpx

from tests.api.conftest import API, Api
from tests.support.pdf import one_line, pdf_text

PDF = {"Accept": "application/pdf"}


def _pdf(api: Api, path: str, prefix: str) -> str:
    """Download ``path`` as a PDF attachment named ``prefix-...pdf``; its text on one line."""
    r: httpx.Response = api.http.get(API + path, headers=api.headers(**PDF))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{prefix}-') and disposition.endswith('.pdf"'), disposition
    return one_line(pdf_text(r.content))


def test_the_statement_pdf_names_the_practice_the_client_the_range_and_the_totals(owner: Api) -> None:
    owner.call("PATCH", "/practice", {"name": f"Harbor Counseling {owner.practice_id[-6:]}"}, expect=200)
    client = owner.client("Grace Hopper", email="grace@example.com")
    bill = owner.session_bill(client["id"], 123456)
    owner.pay(bill["id"], "check", 23456)
    s = owner.get(f"/clients/{client['id']}/statement")

    text = _pdf(owner, f"/clients/{client['id']}/statement", "statement-grace-hopper")

    assert f"Harbor Counseling {owner.practice_id[-6:]}" in text
    assert "Statement" in text and "Grace Hopper" in text and "grace@example.com" in text
    assert f"{s['from']} to {s['to']}" in text
    assert f"Bill #{bill['number']}: 90834 on 2026-11-02 $1,234.56" in text
    assert f"Check payment on Bill #{bill['number']} $234.56" in text
    assert "Charges $1,234.56 Payments $234.56" in text
    assert f"Balance due at the end ({s['to']}) $1,000.00" in text


def test_the_receipt_pdf_tells_the_payment_what_it_paid_and_its_refund_with_the_reason(owner: Api) -> None:
    client = owner.client("Alan Turing")
    bill = owner.session_bill(client["id"], 100000, apply_available_credit=False)
    line = owner.pay(bill["id"], "card", 150000)  # $500.00 beyond the bill: credit
    owner.post(f"/payments/{line['payment_id']}/refunds", {"amount": 20000, "reason": "Moved to Leeds"}, expect=201)
    clinician = owner.login_as("clinician")

    text = _pdf(clinician, f"/payments/{line['payment_id']}/receipt", "receipt-alan-turing")

    practice = owner.get("/practice")["name"]
    assert practice in text and "Receipt" in text and "Alan Turing" in text
    assert "Method Card (Visa ending 4242)" in text and "Amount $1,500.00" in text
    assert f"Bill #{bill['number']} 90834 on 2026-11-02 $1,000.00" in text
    assert "Client credit Kept on the account for later bills $500.00" in text
    assert "Settled Moved to Leeds $200.00" in text
    assert "Refunded $200.00" in text


def test_the_superbill_pdf_has_the_practice_ids_and_each_session_with_what_was_paid(owner: Api) -> None:
    owner.call("PATCH", "/practice", {"npi": "1234567893", "tax_id": "12-3456789"}, expect=200)
    client = owner.client("Ana Rivera", email="ana@example.com", billing="insurance", copay=3000)
    bill = owner.bill(client["id"], [owner.appointment(client["id"], 123456, date="2026-11-02")["id"]])
    owner.appointment(client["id"], 20000, date="2026-12-01")  # not billed: not on the superbill
    owner.pay(bill["id"], "cash", 3000)
    item = bill["items"][0]
    eob = {"item_id": item["id"], "payer": "ACME Health", "paid": 100000, "patient_responsibility": 3000}
    eob["adjustments"] = [{"group": "CO", "reason": "45", "amount": 20456}]
    owner.post(f"/bills/{bill['id']}/insurance-payments", eob, expect=200)
    biller = owner.login_as("biller")

    text = _pdf(biller, f"/clients/{client['id']}/superbill?from=2026-11-01&to=2026-11-30", "superbill-ana-rivera")

    assert owner.get("/practice")["name"] in text and "Superbill" in text
    assert "NPI 1234567893" in text and "Tax ID 12-3456789" in text
    assert "Ana Rivera" in text and "ana@example.com" in text and "2026-11-01 to 2026-11-30" in text
    assert f"2026-11-02 90834 Bill #{bill['number']} $1,234.56 $30.00 $1,000.00" in text
    assert "Totals $1,234.56 $30.00 $1,000.00" in text
    assert "$200.00" not in text
