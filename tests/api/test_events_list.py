"""``GET /events`` as a list: credit events add up to the balance, pages, the type filter, another
practice's events, and refused movements that write none."""

from __future__ import annotations

import pytest

from clientledger.db import Database
from tests.api.conftest import Api, ledger_problems, new_owner
from tests.api.test_events import SIGN, all_events, credit_sum, types


def test_credit_events_add_up_to_the_balance_after_a_long_mixed_story(owner: Api, db: Database) -> None:
    ada, bo = owner.client("Ada Mixed"), owner.client("Bo Mixed")
    for client_id in (ada["id"], bo["id"]):
        owner.prepay(client_id, "card", 30000)
        first = owner.session_bill(client_id, 12000)
        second = owner.session_bill(client_id, 25000)
        owner.pay(second["id"], "card", 20000)
        owner.post(f"/bills/{first['id']}/lines/{first['lines'][0]['id']}/refund", {"amount": 5000}, expect=200)
        lot = owner.post(f"/clients/{client_id}/credits", {"amount": 7000, "reason": "fee_waiver"}, expect=201)
        owner.post(f"/bills/{first['id']}/apply-credit", {"amount": 3000}, expect=201)
        owner.post(f"/clients/{client_id}/credits/{lot['id']}/remove", {"amount": 1000}, expect=200)
        card = next(x for x in owner.get(f"/bills/{second['id']}")["lines"] if x["type"] == "card")
        owner.post(f"/payments/{card['payment_id']}/refunds", {"amount": 9000}, expect=201)
        appt = owner.appointment(client_id, 9000)
        bill = owner.bill(client_id, [appt["id"]])
        owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled"}, expect=200)
        assert owner.get(f"/bills/{bill['id']}")["status"] == "void"

    events = all_events(owner)
    for client_id in (ada["id"], bo["id"]):
        assert credit_sum(events, client_id) == owner.credit_balance(client_id)
        running = 0
        for e in events:
            if e["type"] in SIGN and e["data"]["client_id"] == client_id:
                assert e["data"]["amount"] > 0
                running += SIGN[e["type"]] * e["data"]["amount"]
                assert e["data"]["credit_balance"] == running, e
    assert ledger_problems(db) == []


def test_events_page_oldest_first_and_filter_by_type(owner: Api) -> None:
    client = owner.client("Pager")
    for _ in range(3):
        owner.prepay(client["id"], "cash", 1000)
    everything = all_events(owner)
    assert len(everything) == 6 and [e["id"] for e in everything] == sorted(e["id"] for e in everything)

    first = owner.get("/events?limit=4")
    second = owner.get(f"/events?limit=4&cursor={first['next_cursor']}")
    assert first["data"] + second["data"] == everything and second["next_cursor"] is None

    credits = owner.get("/events?type=credit.created&limit=2")
    more = owner.get(f"/events?type=credit.created&limit=2&cursor={credits['next_cursor']}")
    assert types(credits["data"] + more["data"]) == ["credit.created"] * 3 and more["next_cursor"] is None
    assert [e["data"]["credit_balance"] for e in credits["data"] + more["data"]] == [1000, 2000, 3000]
    assert owner.get(f"/events/{everything[0]['id']}") == everything[0]


@pytest.mark.parametrize("query", ["type=credit.spent", "type=", "limit=201", "limit=0", "limit=1.5"])
def test_a_bad_type_or_limit_is_a_validation_error(owner: Api, query: str) -> None:
    body = owner.get(f"/events?{query}", expect=422)
    assert body["error"]["code"] == "validation_error"


def test_another_practices_events_never_show(owner: Api, db: Database) -> None:
    client = owner.client("Private")
    owner.prepay(client["id"], "cash", 1000)
    mine = all_events(owner)
    intruder = new_owner(owner.http, db)

    assert intruder.get("/events") == {"data": [], "next_cursor": None}
    assert intruder.get(f"/events/{mine[0]['id']}", expect=404)["error"]["code"] == "not_found"
    assert intruder.get(f"/events?cursor={mine[0]['id']}")["data"] == []


def test_a_refused_movement_writes_no_event(owner: Api) -> None:
    client = owner.client("Refused")
    lot = owner.post(f"/clients/{client['id']}/credits", {"amount": 1000, "reason": "other"}, expect=201)
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    seen = all_events(owner)

    owner.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 5000}, expect=422)
    owner.post(f"/bills/{bill['id']}/payments", {"type": "client_credit", "amount": 2000}, expect=422)
    owner.post(
        f"/bills/{bill['id']}/payments",
        {"type": "card", "amount": 100, "payment_method": "pm_card_chargeDeclined"},
        expect=402,
    )

    assert all_events(owner) == seen
