"""Idempotency-Key: a retry replays the first answer and moves no money twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems, new_owner


def _post(owner: Api, path: str, body: Any, key: str) -> tuple[int, str, dict[str, str]]:
    r = owner.http.post(API + path, json=body, headers=owner.headers(key))
    return r.status_code, r.text, dict(r.headers)


def test_a_retried_payment_replays_the_first_answer_and_pays_once(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000)
    body = {"type": "cash", "amount": 5000}

    first = _post(owner, f"/bills/{bill['id']}/payments", body, "pay-1")
    again = _post(owner, f"/bills/{bill['id']}/payments", body, "pay-1")

    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    assert again[2].get("idempotent-replayed") == "true"
    assert len(owner.get(f"/bills/{bill['id']}")["lines"]) == 1
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 10000
    assert ledger_problems(db) == []


def test_the_same_key_for_another_body_or_path_is_409(owner: Api) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000)
    owner.post(f"/bills/{bill['id']}/payments", {"type": "cash", "amount": 5000}, key="k-1", expect=201)

    other_body = owner.post(f"/bills/{bill['id']}/payments", {"type": "cash", "amount": 5001}, key="k-1", expect=409)
    other_path = owner.post(
        f"/clients/{client['id']}/payments", {"type": "cash", "amount": 5000}, key="k-1", expect=409
    )

    assert other_body["error"]["code"] == other_path["error"]["code"] == "idempotency_key_reused"
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 10000


def test_key_order_and_spacing_in_the_body_do_not_matter(owner: Api) -> None:
    client = owner.client()
    path = f"{API}/clients/{client['id']}/payments"
    h = {**owner.headers("spaced"), "Content-Type": "application/json"}
    r1 = owner.http.post(path, content=b'{"type":"cash","amount":700}', headers=h)
    r2 = owner.http.post(path, content=b'{ "amount": 700,  "type": "cash" }', headers=h)
    assert (r1.status_code, r2.status_code) == (201, 201) and r1.text == r2.text
    assert owner.credit_balance(client["id"]) == 700


def test_a_business_refusal_is_replayed_but_a_validation_error_is_not_stored(owner: Api) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    path = f"/bills/{bill['id']}/payments"

    refused = owner.post(path, {"type": "client_credit", "amount": 1000}, key="c-1", expect=422)
    owner.prepay(client["id"], "cash", 5000)
    still = owner.post(path, {"type": "client_credit", "amount": 1000}, key="c-1", expect=422)
    assert refused == still and refused["error"]["code"] == "insufficient_credit"

    owner.post(path, {"type": "client_credit", "amount": 10.0}, key="c-2", expect=422)
    line = owner.post(path, {"type": "client_credit", "amount": 1000}, key="c-2", expect=201)
    assert line["amount"] == 1000


def test_keys_are_scoped_to_the_practice(owner: Api, db: Database) -> None:
    other = new_owner(owner.http, db, name="Other Practice", email="other@example.com")
    mine, theirs = owner.client(), other.client()
    owner.post(f"/clients/{mine['id']}/payments", {"type": "cash", "amount": 100}, key="shared", expect=201)
    other.post(f"/clients/{theirs['id']}/payments", {"type": "cash", "amount": 100}, key="shared", expect=201)
    assert owner.credit_balance(mine["id"]) == 100 and other.credit_balance(theirs["id"]) == 100


def test_delete_and_refund_replay_their_answers(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000)
    cash = owner.pay(bill["id"], "cash", 15000)
    card_bill = owner.session_bill(client["id"], 15000)
    card = owner.pay(card_bill["id"], "card", 20000)

    d1 = owner.http.delete(f"{API}/bills/{bill['id']}/lines/{cash['id']}", headers=owner.headers("del-1"))
    d2 = owner.http.delete(f"{API}/bills/{bill['id']}/lines/{cash['id']}", headers=owner.headers("del-1"))
    assert (d1.status_code, d2.status_code, d2.content) == (204, 204, b"")

    refund_body = {"amount": 5000}
    r1 = owner.post(f"/payments/{card['payment_id']}/refunds", refund_body, key="rf-1", expect=201)
    r2 = owner.post(f"/payments/{card['payment_id']}/refunds", refund_body, key="rf-1", expect=201)
    assert r1 == r2 and r1["status"] == "settled"
    assert owner.get(f"/payments/{card['payment_id']}")["refunded"] == 5000
    assert ledger_problems(db) == []


def test_concurrent_requests_with_one_key_have_one_effect(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000)
    prepay_path = f"/clients/{client['id']}/payments"
    card_path = f"/bills/{bill['id']}/payments"

    with ThreadPoolExecutor(max_workers=8) as pool:
        prepaid = list(pool.map(lambda _: _post(owner, prepay_path, {"type": "cash", "amount": 900}, "twin"), range(8)))
        carded = list(
            pool.map(lambda _: _post(owner, card_path, {"type": "card", "amount": 4000}, "twin-card"), range(8))
        )

    for answers in (prepaid, carded):
        ok = [a for a in answers if a[0] == 201]
        assert ok and all(a[0] in (201, 409) for a in answers)
        assert len({a[1] for a in ok}) == 1
    assert owner.credit_balance(client["id"]) == 900
    [line] = owner.get(f"/bills/{bill['id']}")["lines"]
    assert line["captured"] == 4000
    assert ledger_problems(db) == []
