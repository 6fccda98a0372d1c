"""Documents in the web UI: the client page's links, the superbill's page, receipts from the bill page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api, new_owner
from tests.factories import a_card_payment
from tests.support.pdf import one_line, pdf_text
from tests.web.desk import Desk, signed_in


def test_the_client_page_links_its_statement_and_superbill_and_the_superbill_page_shows_the_sessions(
    desk: Desk, owner: Api
) -> None:
    owner.call("PATCH", "/practice", {"npi": "1234567893", "tax_id": "12-3456789"}, expect=200)
    client = desk.ledger.client("Page Paula")
    bill = desk.ledger.bill(client.id, [desk.ledger.appointment(client.id, fee=12500).id])

    page = desk.page(f"/clients/{client.id}")
    superbill = desk.page(f"/clients/{client.id}/superbill?from=2026-11-01&to=2026-11-30")

    assert f'href="/clients/{client.id}/statement"' in page and f'href="/clients/{client.id}/superbill"' in page
    assert "NPI 1234567893 · Tax ID 12-3456789" in superbill
    assert f"Bill #{bill.number}" in superbill and "$125.00" in superbill
    assert f'href="/clients/{client.id}/superbill.pdf?from=2026-11-01&amp;to=2026-11-30"' in superbill


def test_a_range_that_is_not_one_is_said_on_the_page(desk: Desk) -> None:
    client = desk.ledger.client()

    r = desk.get(f"/clients/{client.id}/statement?from=2026-11-10&to=2026-11-09")

    assert r.status_code == 422
    assert "`from` must not be after `to`." in r.text and "Download PDF" not in r.text


def test_a_bill_payment_row_has_its_receipt_for_staff_of_this_practice_only(
    desk: Desk, owner: Api, db: Database, http: TestClient
) -> None:
    bill, line = a_card_payment(desk.ledger, "Receipt Rita", fee=15000)
    receipt = f"/payments/{line.payment_id}/receipt.pdf"
    clinician = signed_in(owner, db, http, role="clinician")

    assert f'href="{receipt}"' in desk.page(f"/bills/{bill.id}")
    r = clinician.get(receipt)

    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = one_line(pdf_text(r.content))
    assert "Receipt Rita" in text and "Amount $150.00" in text and f"Bill #{bill.number}" in text
    stranger = signed_in(new_owner(http, db), db, http)
    assert stranger.get(receipt).status_code == 404
    assert stranger.get(f"/clients/{bill.client_id}/statement").status_code == 404
