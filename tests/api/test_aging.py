"""Aging: what clients owe, by how many of the practice's days each open bill has been waiting."""

from __future__ import annotations

import datetime as dt

import pytest

from clientledger.db import Database
from clientledger.kit.days import PracticeDay
from tests.api.conftest import Api, new_owner
from tests.support.clock import at_moment, on_day

TODAY = PracticeDay().today()  # the practice's (New York's) day, which the reports' days are
EMPTY = {"0_30": 0, "31_60": 0, "61_90": 0, "over_90": 0}


def _bill_on(owner: Api, monkeypatch: pytest.MonkeyPatch, client_id: str, days_ago: int, fee: int) -> dict[str, str]:
    with on_day(monkeypatch, TODAY - dt.timedelta(days=days_ago)):
        bill: dict[str, str] = owner.session_bill(client_id, fee)
    return bill


def test_bills_fall_into_buckets_by_age_and_sum_per_client_and_overall(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, bo = owner.client("Ada"), owner.client("Bo")
    owner.client("Cy Nothing Due")
    for days_ago, fee in ((10, 1000), (45, 2000), (75, 3000), (120, 4000)):
        _bill_on(owner, monkeypatch, ada["id"], days_ago, fee)
    _bill_on(owner, monkeypatch, bo["id"], 30, 500)
    _bill_on(owner, monkeypatch, bo["id"], 31, 700)
    _bill_on(owner, monkeypatch, bo["id"], 91, 900)

    report = owner.get("/reports/aging")

    assert report["as_of"] == TODAY.isoformat()
    assert [c["name"] for c in report["clients"]] == ["Ada", "Bo"]
    by_name = {c["name"]: c for c in report["clients"]}
    assert by_name["Ada"]["buckets"] == {"0_30": 1000, "31_60": 2000, "61_90": 3000, "over_90": 4000}
    assert by_name["Ada"]["balance_due"] == 10000 and by_name["Ada"]["client_id"] == ada["id"]
    assert by_name["Bo"]["buckets"] == {"0_30": 500, "31_60": 700, "61_90": 0, "over_90": 900}
    assert report["buckets"] == {"0_30": 1500, "31_60": 2700, "61_90": 3000, "over_90": 4900}
    assert report["total"] == 12100


def test_a_paid_bill_leaves_aging_and_a_partly_paid_one_ages_what_is_left(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = owner.client("Dee")
    paid = _bill_on(owner, monkeypatch, client["id"], 40, 5000)
    part = _bill_on(owner, monkeypatch, client["id"], 5, 8000)
    owner.pay(paid["id"], "cash", 5000)
    owner.pay(part["id"], "card", 3000)

    report = owner.get("/reports/aging")

    assert report["clients"] == [
        {"client_id": client["id"], "name": "Dee", "balance_due": 5000, "buckets": {**EMPTY, "0_30": 5000}}
    ]
    assert report["total"] == 5000


def test_a_past_day_ages_bills_as_they_stood_then(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    client = owner.client("Eve")
    old = _bill_on(owner, monkeypatch, client["id"], 50, 6000)
    with on_day(monkeypatch, TODAY - dt.timedelta(days=20)):
        owner.pay(old["id"], "cash", 6000)
    _bill_on(owner, monkeypatch, client["id"], 10, 1500)  # after the day asked for
    as_of = (TODAY - dt.timedelta(days=25)).isoformat()

    report = owner.get(f"/reports/aging?as_of={as_of}")

    assert report == {
        "as_of": as_of,
        "buckets": {**EMPTY, "0_30": 6000},
        "clients": [
            {"client_id": client["id"], "name": "Eve", "balance_due": 6000, "buckets": {**EMPTY, "0_30": 6000}}
        ],
        "total": 6000,
    }
    later = (TODAY - dt.timedelta(days=15)).isoformat()
    assert owner.get(f"/reports/aging?as_of={later}")["clients"] == []
    assert owner.get("/reports/aging")["total"] == 1500


def test_the_practices_day_decides_the_age_far_from_utc(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    owner.call("PATCH", "/practice", {"time_zone": "Pacific/Kiritimati"}, expect=200)  # UTC+14
    client = owner.client("Fay")
    created = dt.datetime.combine(TODAY - dt.timedelta(days=40), dt.time(9, 30))  # 23:30 that day there
    with at_moment(monkeypatch, created):
        owner.session_bill(client["id"], 2500)
    local_day = TODAY - dt.timedelta(days=40)
    # Whole days between the practice's days: 30 days after its day the bill is 0-30, though the end
    # of that day is only 30 days and 30 minutes after it was made; the next day it is 31-60.
    thirty = (local_day + dt.timedelta(days=30)).isoformat()
    thirty_one = (local_day + dt.timedelta(days=31)).isoformat()

    assert owner.get(f"/reports/aging?as_of={thirty}")["buckets"] == {**EMPTY, "0_30": 2500}
    assert owner.get(f"/reports/aging?as_of={thirty_one}")["buckets"] == {**EMPTY, "31_60": 2500}
    before = (local_day - dt.timedelta(days=1)).isoformat()
    assert owner.get(f"/reports/aging?as_of={before}")["clients"] == []


def test_a_bill_made_at_local_night_belongs_to_the_next_local_day(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    owner.call("PATCH", "/practice", {"time_zone": "Pacific/Kiritimati"}, expect=200)
    client = owner.client("Gus")
    utc_day = TODAY - dt.timedelta(days=40)
    with at_moment(monkeypatch, dt.datetime.combine(utc_day, dt.time(10, 30))):  # 00:30 the next day there
        owner.session_bill(client["id"], 1200)

    # The bill's local day is utc_day + 1: on utc_day itself (local) it did not exist yet.
    assert owner.get(f"/reports/aging?as_of={utc_day.isoformat()}")["clients"] == []
    thirty_one_utc = (utc_day + dt.timedelta(days=31)).isoformat()
    assert owner.get(f"/reports/aging?as_of={thirty_one_utc}")["buckets"] == {**EMPTY, "0_30": 1200}


@pytest.mark.parametrize("as_of", ["2026-13-01", "yesterday", "2026-1-5", "10000-01-01", "1899-12-31"])
def test_a_bad_day_is_refused(owner: Api, as_of: str) -> None:
    r = owner.http.get(f"/api/v1/reports/aging?as_of={as_of}", headers=owner.headers())
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_another_practices_bills_are_never_counted(owner: Api, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    other = new_owner(owner.http, db)
    theirs = other.client("Them")
    _bill_on(other, monkeypatch, theirs["id"], 50, 9900)
    mine = owner.client("Mine")
    _bill_on(owner, monkeypatch, mine["id"], 3, 100)
    as_of = (TODAY - dt.timedelta(days=1)).isoformat()

    assert [c["name"] for c in owner.get("/reports/aging")["clients"]] == ["Mine"]
    assert owner.get("/reports/aging")["total"] == 100
    assert owner.get(f"/reports/aging?as_of={as_of}")["total"] == 100  # the journal, too, is only ours
    assert other.get(f"/reports/aging?as_of={as_of}")["total"] == 9900


def test_a_clinician_reads_aging(owner: Api) -> None:
    owner.session_bill(owner.client("Hal")["id"], 4200)
    assert owner.login_as("clinician").get("/reports/aging")["total"] == 4200
