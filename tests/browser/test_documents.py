"""A client's statement: from the client page to the page of the statement, a range, and its PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import Ledger, a_session_bill
from tests.support.pdf import one_line, pdf_text

pytestmark = pytest.mark.browser


def test_the_statement_page_and_its_pdf_say_the_same(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Statement Stella", email="stella@example.com")
    ledger.prepay(client.id, "cash", 20000)
    bill = a_session_bill(ledger, client.id, fee=123456)  # $200.00 of it from credit
    ledger.pay(bill.id, "check", 3456)

    staff.goto(f"/clients/{client.id}")
    staff.get_by_role("link", name="Statement", exact=True).click()
    expect(staff.get_by_role("heading", name="Statement: Statement Stella")).to_be_visible()
    statement = staff.locator("article.statement")
    expect(statement).to_contain_text(f"Bill #{bill.number}: 90834 on 2026-11-02, credit applied")
    expect(statement).to_contain_text("$1,234.56")
    expect(statement).to_contain_text("$1,000.00")
    day = staff.get_by_label("From").input_value()
    assert day == staff.get_by_label("To").input_value()

    staff.get_by_label("From").fill("2026-13-01")
    staff.get_by_role("button", name="Show").click()
    expect(staff.get_by_role("alert").filter(has_text="YYYY-MM-DD")).to_be_visible()
    staff.get_by_label("From").fill(day)
    staff.get_by_role("button", name="Show").click()
    expect(staff.locator("article.statement")).to_contain_text("Cash prepayment")

    with staff.expect_download() as download:
        staff.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"statement-statement-stella-{day}-{day}.pdf"
    text = one_line(pdf_text(Path(download.value.path()).read_bytes()))

    assert "Calm Waters Therapy" in text and "Statement Stella" in text and "stella@example.com" in text
    assert f"Bill #{bill.number}: 90834 on 2026-11-02, credit applied $1,234.56 $200.00 -$200.00" in text
    assert f"Check payment on Bill #{bill.number} $34.56" in text
    assert f"Balance due at the end ({day}) $1,000.00" in text
