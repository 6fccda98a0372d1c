"""The Reports page: the credit liability and aging as of a chosen day, and the journal as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from clientledger.kit.days import PracticeDay
from tests.api.conftest import Api
from tests.factories import a_prepaid_client, a_session_bill
from tests.support.clock import on_day
from tests.web.desk import Desk, signed_in

TODAY = PracticeDay().today()  # the practice's (New York's) day, which the reports' days are


def _section(html: str, heading: str) -> str:
    """The text of the page's section under ``heading``, tags dropped, spaces squeezed."""
    start = html.index(f">{heading}</h2>")
    end = html.find("</section>", start)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:end]).split())


def _a_month_of_ledger(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Forty days ago Ada prepaid $500.00 and a $150.00 session took credit, Bo was billed $40.00;
    ten days ago Bo was billed $1,234.56; five days ago he prepaid $20.00. The clients' ids by name."""
    ledger = desk.ledger
    with on_day(monkeypatch, TODAY - dt.timedelta(days=40)):
        ada, _ = a_prepaid_client(ledger, "Ada Lovelace", amount=50000)
        a_session_bill(ledger, ada.id, fee=15000)
        bo = ledger.client("Bo Diddley")
        a_session_bill(ledger, bo.id, fee=4000)
    with on_day(monkeypatch, TODAY - dt.timedelta(days=10)):
        a_session_bill(ledger, bo.id, fee=123456, apply_credit=False)
    with on_day(monkeypatch, TODAY - dt.timedelta(days=5)):
        ledger.prepay(bo.id, "cash", 2000)
    return {"Ada Lovelace": ada.id, "Bo Diddley": bo.id}


def test_the_page_shows_credit_liability_and_aging_for_the_chosen_day(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _a_month_of_ledger(desk, monkeypatch)

    today = desk.page("/reports")
    assert "<h1>Reports</h1>" in today and f'value="{TODAY.isoformat()}"' in today
    assert 'placeholder="YYYY-MM-DD"' in today
    liability = _section(today, "Credit liability")
    assert "Ada Lovelace $350.00" in liability and "Bo Diddley $20.00" in liability
    assert "Total $370.00" in liability
    aging = _section(today, "Aging")
    assert "Bo Diddley $1,234.56 $40.00 $0.00 $0.00 $1,274.56" in aging
    assert "Total $1,234.56 $40.00 $0.00 $0.00 $1,274.56" in aging
    assert "Ada Lovelace" not in aging
    assert f'<a href="/clients/{ids["Bo Diddley"]}">Bo Diddley</a>' in _section_html(today, "Aging")

    back_then = (TODAY - dt.timedelta(days=20)).isoformat()
    then = desk.page(f"/reports?as_of={back_then}")
    assert f'value="{back_then}"' in then
    assert "Ada Lovelace $350.00 Total $350.00" in _section(then, "Credit liability")
    # Twenty days ago Bo's bill of ten days ago did not exist, and his $40.00 one was 20 days old.
    assert "Bo Diddley $40.00 $0.00 $0.00 $0.00 $40.00" in _section(then, "Aging")

    before = desk.page(f"/reports?as_of={(TODAY - dt.timedelta(days=41)).isoformat()}")
    assert "Total $0.00" in _section(before, "Credit liability")
    assert "Nothing was due" in _section(before, "Aging")


def _section_html(html: str, heading: str) -> str:
    start = html.index(f">{heading}</h2>")
    return html[start : html.find("</section>", start)]


def test_a_day_that_is_not_a_day_is_said_and_today_is_shown(desk: Desk) -> None:
    r = desk.get("/reports?as_of=2026-02-30")
    assert r.status_code == 422
    assert "As of: &#39;2026-02-30&#39; is not a day; write it as YYYY-MM-DD, like 2026-03-09" in r.text
    assert 'value="2026-02-30"' in r.text and "Credit liability" in r.text


def test_the_csv_link_downloads_the_journal_as_the_api_gives_it(desk: Desk, owner: Api) -> None:
    a_prepaid_client(desk.ledger, "Cy", amount=1000)
    page = desk.page("/reports")
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Download journal \(CSV\)</a>', page)
    assert link is not None

    r = desk.get(link.group(1))

    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    api = owner.http.get("/api/v1/reports/journal", headers={**owner.headers(), "Accept": "text/csv"})
    assert r.text == api.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["account"] for row in rows} == {"cash:cash", "client_credit"}
    assert sum(int(row["amount"]) for row in rows) == 0
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert len(desk.get(f"/reports/journal.csv?from={tomorrow}").text.splitlines()) == 1  # the header alone


def test_a_clinician_reads_the_reports(owner: Api, db: Database, http: TestClient) -> None:
    clinician = signed_in(owner, db, http, role="clinician")
    client, _ = a_prepaid_client(clinician.ledger, "Dee", amount=4500)
    a_session_bill(clinician.ledger, client.id, fee=1000, apply_credit=False)

    page = clinician.page("/reports")

    assert '<a href="/reports" aria-current="page">Reports</a>' in page
    assert "Dee $45.00" in _section(page, "Credit liability")
    assert "Dee $10.00 $0.00 $0.00 $0.00 $10.00" in _section(page, "Aging")
    assert clinician.get("/reports/journal.csv").status_code == 200
