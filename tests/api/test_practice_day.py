"""The practice's time zone decides every day people see and send; bills are numbered per practice."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api, new_owner
from tests.support.clock import at_moment
from tests.web.desk import signed_in

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11


def _zone(owner: Api, name: str) -> None:
    assert owner.call("PATCH", "/practice", {"time_zone": name}, expect=200)["time_zone"] == name


def test_a_practice_keeps_new_york_time_until_told_otherwise(owner: Api) -> None:
    practice = owner.get("/practice")
    assert practice["time_zone"] == "America/New_York"
    assert practice["npi"] is None and practice["tax_id"] is None
    _zone(owner, "Europe/Berlin")
    changed = owner.call("PATCH", "/practice", {"npi": "1234567893", "tax_id": "12-3456789"}, expect=200)
    assert (changed["time_zone"], changed["npi"], changed["tax_id"]) == ("Europe/Berlin", "1234567893", "12-3456789")
    kept = owner.call("PATCH", "/practice", {"name": None, "time_zone": None, "auto_apply_credit": False}, expect=200)
    assert (kept["name"], kept["time_zone"], kept["npi"]) == (practice["name"], "Europe/Berlin", "1234567893")
    cleared = owner.call("PATCH", "/practice", {"npi": None}, expect=200)
    assert (cleared["npi"], cleared["tax_id"]) == (None, "12-3456789")


@pytest.mark.parametrize(
    "body",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": ""},
        {"time_zone": "../../etc/passwd"},
        {"time_zone": 5},
        {"npi": "12345"},
        {"tax_id": "not-an-ein"},
    ],
)
def test_an_unknown_time_zone_or_malformed_id_is_refused_and_changes_nothing(
    owner: Api, body: dict[str, object]
) -> None:
    _zone(owner, KIRITIMATI)
    r = owner.call("PATCH", "/practice", body, expect=422)
    assert r["error"]["code"] == "validation_error"
    practice = owner.get("/practice")
    assert (practice["time_zone"], practice["npi"], practice["tax_id"]) == (KIRITIMATI, None, None)


def _credit_at(owner: Api, client_id: str, moment: dt.datetime, amount: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with at_moment(monkeypatch, moment):
        owner.post(f"/clients/{client_id}/credits", {"amount": amount, "reason": "courtesy"}, expect=201)


def _liability(owner: Api, day: str) -> int:
    return int(owner.get(f"/reports/credit-balances?as_of={day}")["total"])


def test_credit_liability_as_of_a_day_ends_at_midnight_in_the_practice_zone_east(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _zone(owner, KIRITIMATI)
    with at_moment(monkeypatch, dt.datetime(2026, 2, 27, 12)):
        ada = owner.client("Ada")
    # Both on 2026-03-01 in UTC; 23:30 on the 1st and 00:30 on the 2nd in Kiritimati.
    _credit_at(owner, ada["id"], dt.datetime(2026, 3, 1, 9, 30), 1000, monkeypatch)
    _credit_at(owner, ada["id"], dt.datetime(2026, 3, 1, 10, 30), 2000, monkeypatch)
    assert _liability(owner, "2026-02-28") == 0
    assert _liability(owner, "2026-03-01") == 1000
    assert _liability(owner, "2026-03-02") == 3000
    day = owner.get("/reports/journal?from=2026-03-01&to=2026-03-01")["data"]
    assert [sum(p["amount"] for p in e["postings"] if p["account"] == "client_credit") for e in day] == [-1000]
    assert len(owner.get("/reports/journal?from=2026-03-02&to=2026-03-02")["data"]) == 1


def test_credit_liability_as_of_a_day_ends_at_midnight_in_the_practice_zone_west(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _zone(owner, PAGO_PAGO)
    with at_moment(monkeypatch, dt.datetime(2026, 2, 20, 12)):
        bo = owner.client("Bo")
    # 2026-03-01 10:30 UTC is 23:30 on 2026-02-28 in Pago Pago; 11:30 UTC is 00:30 on 03-01.
    _credit_at(owner, bo["id"], dt.datetime(2026, 3, 1, 10, 30), 500, monkeypatch)
    _credit_at(owner, bo["id"], dt.datetime(2026, 3, 1, 11, 30), 700, monkeypatch)
    _credit_at(owner, bo["id"], dt.datetime(2026, 3, 2, 11, 0), 11, monkeypatch)  # midnight starting 03-02
    assert _liability(owner, "2026-02-27") == 0
    assert _liability(owner, "2026-02-28") == 500
    assert _liability(owner, "2026-03-01") == 1200
    assert _liability(owner, "2026-03-02") == 1211
    clients = owner.get("/reports/credit-balances?as_of=2026-02-28")["clients"]
    assert [(c["name"], c["credit_balance"]) for c in clients] == [("Bo", 500)]


def test_the_pages_show_the_practice_day(
    owner: Api, db: Database, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _zone(owner, KIRITIMATI)
    ada = owner.client("Ada")
    appointment = owner.appointment(ada["id"], fee=9000, date="2026-03-02")
    with at_moment(monkeypatch, dt.datetime(2026, 3, 1, 10, 30)):  # 00:30 on 03-02 there
        bill = owner.bill(ada["id"], [appointment["id"]])
    assert bill["created_at"].startswith("2026-03-01T10:30")  # JSON stays UTC
    desk = signed_in(owner, db, http)
    page = desk.page(f"/bills/{bill['id']}")
    assert "2026-03-02" in page and "2026-03-01" not in page


def test_bills_are_numbered_one_two_three_in_each_practice(owner: Api, http: TestClient, db: Database) -> None:
    ada = owner.client("Ada")
    numbers = [owner.session_bill(ada["id"], fee=1000)["number"] for _ in range(3)]
    assert numbers == [1, 2, 3]
    refused = owner.post("/bills", {"client_id": ada["id"], "appointment_ids": ["appt_nope"]}, expect=404)
    assert refused["error"]["code"] == "not_found"
    fourth = owner.session_bill(ada["id"], fee=1000)
    assert fourth["number"] == 4  # a refused bill takes no number
    assert owner.get(f"/bills/{fourth['id']}")["number"] == 4
    other = new_owner(http, db)
    assert other.session_bill(other.client("Bo")["id"], fee=1000)["number"] == 1
    page = signed_in(owner, db, http).page(f"/bills/{fourth['id']}")
    assert "Bill #4" in page


def test_bills_made_at_once_for_different_clients_get_distinct_numbers(owner: Api) -> None:
    count = 12
    clients = [owner.client(f"Client {i:02d}")["id"] for i in range(count)]
    appointments = [owner.appointment(c, fee=1000)["id"] for c in clients]
    start = threading.Barrier(count)

    def bill(i: int) -> int:
        start.wait()
        return int(owner.bill(clients[i], [appointments[i]])["number"])

    with ThreadPoolExecutor(count) as pool:
        numbers = list(pool.map(bill, range(count)))
    assert sorted(numbers) == list(range(1, count + 1))
