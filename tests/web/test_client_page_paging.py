"""A client's page lists bills and appointments a page at a time, newest first, each with its own "Older" link."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from tests.web.desk import Desk

DAY = dt.date(2026, 1, 1)


def _section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def _dates(html: str) -> list[str]:
    return re.findall(
        r'<th scope="row" class="nowrap">(\d{4}-\d{2}-\d{2})</th>', _section(html, "appointments-heading")
    )


def _bills(html: str) -> list[str]:
    return re.findall(r'<a href="/bills/([^"]+)">', _section(html, "bills-heading"))


def _older(html: str, heading_id: str, words: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)">{words}</a>', _section(html, heading_id))
    return unescape(found.group(1)).split("#", 1)[0] if found else None


def test_45_bills_and_appointments_are_listed_20_at_a_time_newest_first(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Many Mina")
    bill_ids = []
    for n in range(45):
        appointment = ledger.appointment(client.id, fee=1000, date=DAY + dt.timedelta(days=n))
        bill_ids.append(ledger.bill(client.id, [appointment.id]).id)
    newest_first = list(reversed(bill_ids))
    days = [(DAY + dt.timedelta(days=n)).isoformat() for n in reversed(range(45))]

    first = desk.page(f"/clients/{client.id}")
    older_bills = _older(first, "bills-heading", "Older bills")
    older_appointments = _older(first, "appointments-heading", "Older appointments")
    assert older_bills is not None and older_appointments is not None
    second_bills = desk.page(older_bills)
    third_bills_link = _older(second_bills, "bills-heading", "Older bills")
    assert third_bills_link is not None
    third_bills = desk.page(third_bills_link)

    assert (_bills(first), _dates(first)) == (newest_first[:20], days[:20])
    assert (_bills(second_bills), _dates(second_bills)) == (newest_first[20:40], days[:20])  # appointments stay
    assert _bills(third_bills) == newest_first[40:] and _older(third_bills, "bills-heading", "Older bills") is None

    both = desk.page(_older(second_bills, "appointments-heading", "Older appointments") or "")
    assert (_bills(both), _dates(both)) == (newest_first[20:40], days[20:40])  # the bills page is kept


def test_a_client_with_one_page_has_no_older_links(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Few Fay")
    for n in range(3):
        ledger.bill(client.id, [ledger.appointment(client.id, date=DAY + dt.timedelta(days=n)).id])

    page = desk.page(f"/clients/{client.id}")

    assert len(_bills(page)) == 3 and len(_dates(page)) == 3
    assert "Older bills" not in page and "Older appointments" not in page


def test_an_unknown_appointments_cursor_is_a_clear_refusal(desk: Desk) -> None:
    client = desk.ledger.client("Cursor Cy")

    r = desk.get(f"/clients/{client.id}?appointments_cursor=appt_unknown")

    assert r.status_code == 422 and "Unknown cursor" in r.text
