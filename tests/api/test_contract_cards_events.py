"""API.md v1.1 "Cards without card numbers", "Refunds tell the truth" and "Events and webhooks", read literally.

Each test checks sentences of the contract (quoted in its docstring) as someone who knows only
API.md would: over HTTP, with the simulated processor, a webhook receiver on 127.0.0.1 and Stripe's
own event shapes and signature scheme, on every database the fixtures run.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clientledger.cli import app as cli_app
from clientledger.db import Database, utcnow
from clientledger.main import create_app
from tests.api.conftest import API, Api, new_owner
from tests.support.clock import at_moment
from tests.support.contract_webhooks import (
    receiver,
    signed_correctly,
    stripe_charge,
    stripe_event,
    stripe_refund,
    stripe_signature,
)

STRIPE_SECRET = "whsec_contract_cards_events_1"
CARD_KEYS = {"id", "brand", "last4", "exp_month", "exp_year", "is_default"}
PAYMENT_KEYS = {
    "id",
    "client_id",
    "type",
    "amount",
    "captured",
    "credited",
    "refunded",
    "card_brand",
    "card_last4",
    "processor_ref",
    "refunds",
}
REFUND_KEYS = {"id", "amount", "from_credit", "from_bills", "status", "created_at"}
EVENT_TYPES = {
    "payment.created",
    "refund.created",
    "refund.settled",
    "refund.failed",
    "bill.created",
    "bill.paid",
    "credit.created",
    "credit.applied",
    "credit.returned",
    "credit.removed",
    "credit.refunded",
}
CREDIT_SIGN = {
    "credit.created": 1,
    "credit.returned": 1,
    "credit.applied": -1,
    "credit.removed": -1,
    "credit.refunded": -1,
}
CARD_NUMBERS = ["4242 4242 4242 4242", "4242-4242-4242-4242", "4000000000000002", "378282246310005"]


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in reversed(digits)):
        total += d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
    return total % 10 == 0


def _error(response: httpx.Response, status: int, code: str | None) -> None:
    """A refusal in the Conventions' shape: ``{"error": {"code", "message"}}``, the code and status named."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert list(body) == ["error"], body
    if code is not None:
        assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip(), body


def _send(api: Api, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
    response: httpx.Response = api.http.request(method, API + path, json=body, headers=api.headers(**headers))
    return response


def _open_bill(api: Api, client_id: str, fee: int = 15000) -> dict[str, Any]:
    bill: dict[str, Any] = api.session_bill(client_id, fee, apply_available_credit=False)
    return bill


def _lots(api: Api, client_id: str) -> dict[str, int]:
    return {lot["id"]: lot["remaining"] for lot in api.get(f"/clients/{client_id}/credits")["lots"]}


def _refund(api: Api, payment_id: str, amount: int, *, key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return _send(api, "POST", f"/payments/{payment_id}/refunds", {"amount": amount}, **headers)


def _card_overpayment(api: Api, name: str, method: str = "pm_card_visa") -> tuple[dict[str, Any], dict[str, Any]]:
    """A $150 session paid $200 by card: $50 of it is credit. Returns (bill, line)."""
    client = api.client(name)
    bill = _open_bill(api, client["id"], 15000)
    line = api.pay(bill["id"], "card", 20000, payment_method=method)
    assert api.credit_balance(client["id"]) == 5000
    return api.get(f"/bills/{bill['id']}"), line


# --- Cards without card numbers: cards on file ---------------------------------------------------


def _add_card(api: Api, client_id: str, method: str, **fields: Any) -> dict[str, Any]:
    card: dict[str, Any] = api.post(f"/clients/{client_id}/cards", {"payment_method": method, **fields}, expect=201)
    return card


def _cards(api: Api, client_id: str) -> list[dict[str, Any]]:
    listed = api.get(f"/clients/{client_id}/cards")
    assert "data" in listed, listed
    cards: list[dict[str, Any]] = listed["data"]
    return cards


def test_a_card_on_file_says_brand_last4_expiry_and_default_never_a_number(owner: Api) -> None:
    """`POST /clients/{id}/cards` `payment_method, make_default?` → 201 card `id, brand, last4, exp_month,
    exp_year, is_default`. `pm_card_visa` (visa, last4 4242) and `pm_card_mastercard` (mastercard, 4444)."""
    client = owner.client("Cora Card")

    visa = _add_card(owner, client["id"], "pm_card_visa")
    master = _add_card(owner, client["id"], "pm_card_mastercard", make_default=True)

    for card, brand, last4 in ((visa, "visa", "4242"), (master, "mastercard", "4444")):
        assert set(card) >= CARD_KEYS, card
        assert (card["brand"], card["last4"]) == (brand, last4)
        assert type(card["exp_month"]) is int and 1 <= card["exp_month"] <= 12
        assert type(card["exp_year"]) is int and card["exp_year"] >= dt.date.today().year
        assert isinstance(card["is_default"], bool)
        assert not any(c.isdigit() and len(c) >= 13 for c in json.dumps(card).replace('"', " ").split())
    assert master["is_default"] is True
    listed = {c["id"]: c for c in _cards(owner, client["id"])}
    assert set(listed) == {visa["id"], master["id"]}
    assert [cid for cid, c in listed.items() if c["is_default"]] == [master["id"]]
    assert (listed[visa["id"]]["brand"], listed[visa["id"]]["last4"]) == ("visa", "4242")


def test_a_card_payment_without_payment_method_charges_the_default_card(owner: Api) -> None:
    """A card payment (`POST /bills/{id}/payments`, `POST /clients/{id}/payments`) takes `payment_method?`
    (default: the client's default card); `make_default` makes a new card the default."""
    switched = owner.client("Sam Switched")
    _add_card(owner, switched["id"], "pm_card_visa")
    _add_card(owner, switched["id"], "pm_card_mastercard", make_default=True)
    kept = owner.client("Kay Kept")
    _add_card(owner, kept["id"], "pm_card_visa", make_default=True)
    _add_card(owner, kept["id"], "pm_card_mastercard")  # not made default: the visa stays

    line = owner.pay(_open_bill(owner, switched["id"], 5000)["id"], "card", 5000)
    prepaid = owner.prepay(switched["id"], "card", 2500)
    explicit = owner.pay(_open_bill(owner, switched["id"], 5000)["id"], "card", 5000, payment_method="pm_card_visa")
    kept_line = owner.pay(_open_bill(owner, kept["id"], 5000)["id"], "card", 5000)

    assert (line["card_brand"], line["card_last4"]) == ("mastercard", "4444")
    payment = owner.get(f"/payments/{prepaid['id']}")
    assert (payment["card_brand"], payment["card_last4"]) == ("mastercard", "4444")
    assert (explicit["card_brand"], explicit["card_last4"]) == ("visa", "4242")
    assert [c["brand"] for c in _cards(owner, kept["id"]) if c["is_default"]] == ["visa"]
    assert (kept_line["card_brand"], kept_line["card_last4"]) == ("visa", "4242")


def test_deleting_a_card_answers_204_and_it_is_gone(owner: Api) -> None:
    """`DELETE /clients/{id}/cards/{card_id}` → 204."""
    client = owner.client("Del Card")
    visa = _add_card(owner, client["id"], "pm_card_visa")
    master = _add_card(owner, client["id"], "pm_card_mastercard", make_default=True)

    r = _send(owner, "DELETE", f"/clients/{client['id']}/cards/{master['id']}")

    assert (r.status_code, r.content) == (204, b"")
    assert [c["id"] for c in _cards(owner, client["id"])] == [visa["id"]]
    _error(_send(owner, "DELETE", f"/clients/{client['id']}/cards/{master['id']}"), 404, "not_found")
    line = owner.pay(_open_bill(owner, client["id"], 3000)["id"], "card", 3000)
    assert (line["card_brand"], line["card_last4"]) == ("visa", "4242")  # the card left, or the simulator's visa


def test_another_practices_client_and_cards_are_404(owner: Api, http: TestClient, db: Database) -> None:
    """Another practice's object: 404, never 403 (cards too)."""
    client = owner.client("Private Card")
    other_client = owner.client("Other Own Client")
    card = _add_card(owner, client["id"], "pm_card_visa")
    intruder = new_owner(http, db)
    base = f"/clients/{client['id']}/cards"

    _error(_send(intruder, "GET", base), 404, "not_found")
    _error(_send(intruder, "POST", base, {"payment_method": "pm_card_mastercard"}), 404, "not_found")
    _error(_send(intruder, "DELETE", f"{base}/{card['id']}"), 404, "not_found")
    _error(_send(owner, "DELETE", f"/clients/{other_client['id']}/cards/{card['id']}"), 404, "not_found")
    _error(_send(owner, "GET", "/clients/cl_nobody/cards"), 404, "not_found")
    _error(_send(owner, "POST", "/clients/cl_nobody/cards", {"payment_method": "pm_card_visa"}), 404, "not_found")
    assert [c["id"] for c in _cards(owner, client["id"])] == [card["id"]]


def test_a_card_number_is_no_payment_method(owner: Api) -> None:
    """`payment_method` is a processor payment-method id (`pm_...`); a card number in any field is 422."""
    client = owner.client("Numbered Nell")
    for number in CARD_NUMBERS:
        r = _send(owner, "POST", f"/clients/{client['id']}/cards", {"payment_method": number})
        _error(r, 422, "validation_error")
    _error(
        _send(
            owner, "POST", f"/clients/{client['id']}/cards", {"payment_method": "pm_card_visa", "make_default": "yes"}
        ),
        422,
        "validation_error",
    )
    assert _cards(owner, client["id"]) == []


# --- Cards without card numbers: card payments with the simulator ---------------------------------


def test_with_the_simulator_a_client_without_a_card_is_charged_as_pm_card_visa(owner: Api) -> None:
    """With the simulated processor a client without one is charged as `pm_card_visa`. Payment lines of card
    payments show `card_brand`, `card_last4` and `processor_ref` (the processor's charge id)."""
    client = owner.client("No Card Nora")
    bill = _open_bill(owner, client["id"], 15000)

    line = owner.pay(bill["id"], "card", 15000)
    prepaid = owner.prepay(client["id"], "card", 4000)

    assert (line["type"], line["card_brand"], line["card_last4"]) == ("card", "visa", "4242")
    assert isinstance(line["processor_ref"], str) and line["processor_ref"]
    shown = next(x for x in owner.get(f"/bills/{bill['id']}")["lines"] if x["id"] == line["id"])
    assert (shown["card_brand"], shown["card_last4"], shown["processor_ref"]) == ("visa", "4242", line["processor_ref"])
    payment = owner.get(f"/payments/{prepaid['id']}")
    assert (payment["card_brand"], payment["card_last4"]) == ("visa", "4242")
    assert isinstance(payment["processor_ref"], str) and payment["processor_ref"] != line["processor_ref"]
    assert owner.credit_balance(client["id"]) == 4000


def test_get_payment_has_the_contracts_keys(owner: Api) -> None:
    """`GET /payments/{id}`: `id, client_id, type, amount, captured, credited, refunded, card_brand?,
    card_last4?, processor_ref?, refunds: [{id, amount, from_credit, from_bills, status, failure_reason?,
    processor_ref?, created_at}]`."""
    bill, line = _card_overpayment(owner, "Keys Kim", "pm_card_mastercard")
    refund = _refund(owner, line["payment_id"], 3000)
    assert refund.status_code == 201, refund.text

    payment = owner.get(f"/payments/{line['payment_id']}")

    assert set(payment) >= PAYMENT_KEYS, payment
    assert (payment["id"], payment["client_id"], payment["type"]) == (line["payment_id"], bill["client_id"], "card")
    assert (payment["amount"], payment["captured"], payment["credited"], payment["refunded"]) == (
        20000,
        20000,
        5000,
        3000,
    )
    assert (payment["card_brand"], payment["card_last4"]) == ("mastercard", "4444")
    assert payment["processor_ref"] == line["processor_ref"]
    [entry] = payment["refunds"]
    assert set(entry) >= REFUND_KEYS, entry
    assert entry["id"] == refund.json()["id"]
    assert (entry["amount"], entry["from_credit"], entry["from_bills"], entry["status"]) == (3000, 3000, 0, "settled")
    assert isinstance(entry["processor_ref"], str) and entry["processor_ref"]
    assert dt.datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))


def test_a_declined_card_is_402_card_declined_and_records_nothing(owner: Api) -> None:
    """`pm_card_chargeDeclined` is declined (402 `card_declined`, nothing recorded)."""
    client = owner.client("Declined Dee")
    owner.prepay(client["id"], "cash", 3000)
    bill = _open_bill(owner, client["id"], 15000)
    before = (owner.get(f"/bills/{bill['id']}"), owner.get(f"/clients/{client['id']}/credits"))
    declined = {"type": "card", "amount": 5000, "payment_method": "pm_card_chargeDeclined"}

    for key in (None, "declined-1", "declined-1"):
        headers = {"Idempotency-Key": key} if key else {}
        _error(_send(owner, "POST", f"/bills/{bill['id']}/payments", declined, **headers), 402, "card_declined")
        _error(_send(owner, "POST", f"/clients/{client['id']}/payments", declined), 402, "card_declined")

    after = (owner.get(f"/bills/{bill['id']}"), owner.get(f"/clients/{client['id']}/credits"))
    assert after == before
    assert (after[0]["lines"], after[0]["balance_due"], owner.credit_balance(client["id"])) == ([], 15000, 3000)


def test_a_payment_of_any_kind_on_a_void_bill_is_409_bill_void(owner: Api) -> None:
    """A bill on which nothing is billed any more … is `void`; a payment of any kind on it is 409 `bill_void`."""
    client = owner.client("Void Vera")
    owner.prepay(client["id"], "cash", 4000)
    appointment = owner.appointment(client["id"], 10000)
    bill = owner.bill(client["id"], [appointment["id"]], apply_available_credit=False)
    owner.post(f"/appointments/{appointment['id']}/status", {"status": "no_show"}, expect=200)
    before = owner.get(f"/bills/{bill['id']}")
    assert before["status"] == "void"

    for body in (
        {"type": "card", "amount": 1000, "payment_method": "pm_card_visa"},
        {"type": "card", "amount": 1000},
        {"type": "cash", "amount": 1000},
        {"type": "check", "amount": 1000},
        {"type": "client_credit", "amount": 1000},
    ):
        _error(_send(owner, "POST", f"/bills/{bill['id']}/payments", body), 409, "bill_void")

    assert owner.get(f"/bills/{bill['id']}") == before
    assert owner.credit_balance(client["id"]) == 4000


# --- Cards without card numbers: no card number in any field ---------------------------------------


def _books(api: Api, client_id: str) -> tuple[Any, ...]:
    return (
        api.get(f"/clients/{client_id}"),
        api.get(f"/clients/{client_id}/credits"),
        api.get(f"/clients/{client_id}/bills"),
        api.get("/clients"),
    )


Setup = dict[str, str]
FIELD_CASES: dict[str, Callable[[Setup, str], tuple[str, dict[str, Any]]]] = {
    "prepayment memo": lambda s, n: (
        f"/clients/{s['client']}/payments",
        {"type": "cash", "amount": 1000, "memo": f"paid with {n} at the desk"},
    ),
    "credit note": lambda s, n: (
        f"/clients/{s['client']}/credits",
        {"amount": 1000, "reason": "other", "note": f"card {n}"},
    ),
    "removal note": lambda s, n: (f"/clients/{s['client']}/credits/{s['lot']}/remove", {"amount": 100, "note": n}),
    "refund reason": lambda s, n: (f"/payments/{s['payment']}/refunds", {"amount": 100, "reason": f"back to {n}"}),
    "client name": lambda s, n: ("/clients", {"name": f"Card {n}", "billing": "self_pay"}),
    "field named card_number": lambda s, n: (
        f"/bills/{s['bill']}/payments",
        {"type": "card", "amount": 1000, "card_number": n},
    ),
    "payment_method": lambda s, n: (
        f"/bills/{s['bill']}/payments",
        {"type": "card", "amount": 1000, "payment_method": n},
    ),
}


@pytest.mark.parametrize("field", list(FIELD_CASES))
def test_a_card_number_in_any_field_is_422_and_changes_nothing(owner: Api, field: str) -> None:
    """A body carrying a card number in any field, free text included (a run of 13-19 digits, spaces or dashes
    between them allowed, that passes the Luhn check), is 422 `validation_error`. clientledger never receives,
    stores or logs a card number."""
    assert all(_luhn(n.replace(" ", "").replace("-", "")) for n in CARD_NUMBERS)
    client = owner.client("Luhn Lou")
    payment = owner.prepay(client["id"], "cash", 5000)
    lot = owner.post(f"/clients/{client['id']}/credits", {"amount": 2000, "reason": "courtesy"}, expect=201)
    bill = _open_bill(owner, client["id"], 15000)
    setup = {"client": client["id"], "payment": payment["id"], "lot": lot["id"], "bill": bill["id"]}
    before = _books(owner, client["id"])

    for number in CARD_NUMBERS:
        path, body = FIELD_CASES[field](setup, number)
        _error(_send(owner, "POST", path, body), 422, "validation_error")
        _error(_send(owner, "POST", path, body, **{"Idempotency-Key": f"pan-{field}"}), 422, "validation_error")

    assert _books(owner, client["id"]) == before
    audit = json.dumps(owner.get("/audit"))
    for number in CARD_NUMBERS:
        assert number.replace(" ", "").replace("-", "") not in audit.replace(" ", "").replace("-", "")


def test_a_digit_run_that_fails_luhn_is_accepted_in_free_text(owner: Api) -> None:
    """… a run of 13-19 digits … that passes the Luhn check: one that fails it is just text."""
    memos = ["ref 4242424242424241", "order 4242 4242 4242 4241", "claim 1234-5678-1234-5678"]
    assert not any(_luhn(m.split(" ", 1)[1].replace(" ", "").replace("-", "")) for m in memos)
    client = owner.client("Text Ted")

    for memo in memos:
        owner.post(f"/clients/{client['id']}/payments", {"type": "cash", "amount": 1000, "memo": memo}, expect=201)
    owner.post(f"/clients/{client['id']}/credits", {"amount": 500, "reason": "other", "note": memos[0]}, expect=201)

    assert owner.credit_balance(client["id"]) == 3500


# --- Refunds tell the truth ---------------------------------------------------------------------------


def test_a_card_refund_with_the_simulator_is_settled_at_once(owner: Api) -> None:
    """A refund has `status`: `pending` (sent, no answer yet), `settled`, `failed`. The simulator answers at once."""
    bill, line = _card_overpayment(owner, "Settled Sal")

    refund = _refund(owner, line["payment_id"], 7000, key="settle-1")
    replay = _refund(owner, line["payment_id"], 7000, key="settle-1")

    assert refund.status_code == 201, refund.text
    body = refund.json()
    assert (body["status"], body["amount"], body["from_credit"], body["from_bills"]) == ("settled", 7000, 5000, 2000)
    assert (replay.status_code, replay.json()) == (201, body)
    assert owner.credit_balance(bill["client_id"]) == 0
    after = owner.get(f"/bills/{bill['id']}")
    assert (after["status"], after["balance_due"]) == ("open", 2000)
    assert owner.get(f"/payments/{line['payment_id']}")["refunded"] == 7000
    assert [r["status"] for r in owner.get(f"/payments/{line['payment_id']}")["refunds"]] == ["settled"]


def test_the_line_refund_action_answers_200_with_the_line_and_last_refund(owner: Api) -> None:
    """The line's refund action answers 200 with the line and `last_refund` (`id, amount, status,
    failure_reason?`)."""
    bill = _open_bill(owner, owner.client("Line Lia")["id"], 15000)
    line = owner.pay(bill["id"], "card", 15000)

    after = owner.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", {"amount": 4000}, expect=200)

    assert (after["id"], after["refunded"], after["amount"]) == (line["id"], 4000, 11000)
    last = after["last_refund"]
    assert set(last) >= {"id", "amount", "status"}
    assert (last["amount"], last["status"]) == (4000, "settled")
    refunds = owner.get(f"/payments/{line['payment_id']}")["refunds"]
    assert [(r["id"], r["status"]) for r in refunds] == [(last["id"], "settled")]
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 4000


def test_a_refused_refund_answers_201_failed_and_puts_everything_back(owner: Api) -> None:
    """With `pm_card_refundFail` every refund is refused: it becomes `failed`: what it took from credit goes
    back into the lots it came from, what it took from bills goes back onto them, the line's `refunded` is
    unchanged, and the answer (and every idempotent replay of it) says `failed` with the processor's reason."""
    bill, line = _card_overpayment(owner, "Refused Rita", "pm_card_refundFail")
    lots_before = _lots(owner, bill["client_id"])

    first = _refund(owner, line["payment_id"], 8000, key="refused-1")
    again = _refund(owner, line["payment_id"], 8000, key="refused-1")

    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["amount"]) == ("failed", 8000)
    assert isinstance(body["failure_reason"], str) and body["failure_reason"].strip()
    assert (again.status_code, again.json()) == (201, body)
    assert _lots(owner, bill["client_id"]) == lots_before
    assert owner.credit_balance(bill["client_id"]) == 5000
    after = owner.get(f"/bills/{bill['id']}")
    assert (after["status"], after["balance_due"]) == ("paid", 0)
    shown = next(x for x in after["lines"] if x["id"] == line["id"])
    assert (shown["amount"], shown["refunded"]) == (15000, 0)
    payment = owner.get(f"/payments/{line['payment_id']}")
    assert payment["refunded"] == 0
    assert [(r["id"], r["status"]) for r in payment["refunds"]] == [(body["id"], "failed")]
    assert payment["refunds"][0]["failure_reason"] == body["failure_reason"]


def test_a_refused_line_refund_answers_200_with_the_line_unchanged_and_the_failed_refund(owner: Api) -> None:
    """… the line's refund action answers 200 with the line (its `refunded` unchanged) and `last_refund`
    (`id, amount, status, failure_reason?`)."""
    bill, line = _card_overpayment(owner, "Refused Line", "pm_card_refundFail")
    path = f"/bills/{bill['id']}/lines/{line['id']}/refund"

    first = owner.post(path, {"amount": 2000}, key="line-refused-1", expect=200)
    again = owner.post(path, {"amount": 2000}, key="line-refused-1", expect=200)

    assert (first["id"], first["amount"], first["refunded"]) == (line["id"], 15000, 0)
    last = first["last_refund"]
    assert (last["amount"], last["status"]) == (2000, "failed")
    assert isinstance(last["failure_reason"], str) and last["failure_reason"].strip()
    assert again == first
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 0
    assert owner.credit_balance(bill["client_id"]) == 5000
    refunds = owner.get(f"/payments/{line['payment_id']}")["refunds"]
    assert [(r["id"], r["status"]) for r in refunds] == [(last["id"], "failed")]


# --- Events -------------------------------------------------------------------------------------------


def _events(api: Api, type: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Every event of the practice, page after page (oldest first)."""
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(500):
        query = f"limit={limit}" + (f"&type={type}" if type else "") + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/events?{query}")
        assert set(page) >= {"data", "next_cursor"}, page
        assert len(page["data"]) <= limit
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("GET /events never ended")


def _new_events(api: Api, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events since ``before``: oldest first means the old list is the start of the new one."""
    now = _events(api)
    assert now[: len(before)] == before
    return now[len(before) :]


def _has(events: list[dict[str, Any]], *types: str) -> None:
    assert Counter(e["type"] for e in events) >= Counter(types), [e["type"] for e in events]


def _credit_events(events: list[dict[str, Any]], client_id: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] in CREDIT_SIGN and e["data"]["client_id"] == client_id]


def _check_running_balance(events: list[dict[str, Any]], client_id: str) -> int:
    """created + returned - applied - removed - refunded, event after event, is each one's `credit_balance`."""
    running = 0
    for event in _credit_events(events, client_id):
        data = event["data"]
        assert set(data) >= {"client_id", "amount", "lot_id", "credit_balance"}, event
        assert type(data["amount"]) is int and data["amount"] > 0, event
        running += CREDIT_SIGN[event["type"]] * data["amount"]
        assert data["credit_balance"] == running, (event, running)
    return running


def test_every_movement_writes_its_events_oldest_first(owner: Api) -> None:
    """Every money movement writes … an event: `GET /events` → `{data: [{id, type, created_at, data}],
    next_cursor}`, oldest first, each of the listed types for the movement that makes it."""
    client = owner.client("Evie Events")
    cid = client["id"]
    log = _events(owner)

    prepaid = owner.prepay(cid, "cash", 5000)
    step = _new_events(owner, log)
    _has(step, "payment.created", "credit.created")
    created = next(e for e in step if e["type"] == "credit.created")
    assert created["data"]["source"] == "prepayment" and created["data"]["payment_id"] == prepaid["id"]
    assert created["data"]["lot_id"] in _lots(owner, cid)
    log += step

    bill = owner.session_bill(cid, 15000, apply_available_credit=True)
    step = _new_events(owner, log)
    _has(step, "bill.created", "credit.applied")
    applied = next(e for e in step if e["type"] == "credit.applied")
    assert (applied["data"]["bill_id"], applied["data"]["amount"]) == (bill["id"], 5000)
    log += step

    card = owner.pay(bill["id"], "card", 12000)
    step = _new_events(owner, log)
    _has(step, "payment.created", "bill.paid", "credit.created")
    assert next(e for e in step if e["type"] == "credit.created")["data"]["source"] == "overpayment"
    log += step

    credit_line = next(x for x in owner.get(f"/bills/{bill['id']}")["lines"] if x["type"] == "client_credit")
    owner.post(f"/bills/{bill['id']}/lines/{credit_line['id']}/refund", {"amount": 1000}, expect=200)
    step = _new_events(owner, log)
    _has(step, "credit.returned")
    log += step

    lot = owner.post(f"/clients/{cid}/credits", {"amount": 4000, "reason": "courtesy"}, expect=201)
    owner.post(f"/clients/{cid}/credits/{lot['id']}/remove", {"amount": 1500}, expect=200)
    step = _new_events(owner, log)
    _has(step, "credit.created", "credit.removed")
    assert next(e for e in step if e["type"] == "credit.removed")["data"]["lot_id"] == lot["id"]
    log += step

    assert _refund(owner, card["payment_id"], 2500).status_code == 201
    step = _new_events(owner, log)
    _has(step, "refund.created", "refund.settled", "credit.refunded")
    refunded = next(e for e in step if e["type"] == "credit.refunded")
    assert (refunded["data"]["amount"], refunded["data"]["payment_id"]) == (2000, card["payment_id"])
    log += step

    assert {e["type"] for e in log} <= EVENT_TYPES
    for event in log:
        assert set(event) >= {"id", "type", "created_at", "data"}, event
    assert len({e["id"] for e in log}) == len(log)
    stamps = [dt.datetime.fromisoformat(e["created_at"].replace("Z", "+00:00")) for e in log]
    assert stamps == sorted(stamps)
    assert _check_running_balance(log, cid) == owner.credit_balance(cid) == 3500


def test_the_credit_events_of_a_client_add_up_to_its_credit_balance(owner: Api) -> None:
    """Each credit event's `data` has `client_id, amount, lot_id, bill_id?, payment_id?` and `credit_balance`
    (the client's balance after it); `amount` is > 0 and the type gives the direction."""
    ada, bo = owner.client("Ada Sum"), owner.client("Bo Sum")
    owner.prepay(ada["id"], "card", 3000)
    owner.post(f"/clients/{ada['id']}/credits", {"amount": 2500, "reason": "discount"}, expect=201)
    owner.prepay(bo["id"], "check", 900)
    bill = owner.session_bill(ada["id"], 4000, apply_available_credit=True)  # draws from two lots
    line = next(x for x in bill["lines"] if x["type"] == "client_credit")
    owner.call("DELETE", f"/bills/{bill['id']}/lines/{line['id']}", expect=204)  # gone for good
    _, paid = _card_overpayment(owner, "Cy Sum", "pm_card_refundFail")
    refused = _refund(owner, paid["payment_id"], 6000)
    assert refused.status_code == 201 and refused.json()["status"] == "failed"

    events = _events(owner)

    cy = owner.get(f"/payments/{paid['payment_id']}")["client_id"]
    for client_id in (ada["id"], bo["id"], cy):
        assert _check_running_balance(events, client_id) == owner.credit_balance(client_id)
    _has(events, "refund.failed")
    assert owner.credit_balance(ada["id"]) == 1500
    for event in _credit_events(events, ada["id"]):
        assert event["data"]["lot_id"] in _lots(owner, ada["id"])


def test_a_canceled_session_announces_its_freed_credit_and_its_refund(owner: Api) -> None:
    """`credit.created` (a lot: its `source`); rule 6: `disposition: credit` puts what the client paid into a
    `cancellation` lot with that payment as provenance; `refund` returns it to the original payment method."""
    kept = owner.client("Cass Cancel")
    appointment = owner.appointment(kept["id"], 12000)
    bill = owner.bill(kept["id"], [appointment["id"]], apply_available_credit=False)
    paid = owner.pay(bill["id"], "card", 12000)
    back = owner.client("Rex Refund")
    other = owner.appointment(back["id"], 9000)
    owner.pay(owner.bill(back["id"], [other["id"]], apply_available_credit=False)["id"], "card", 9000)
    log = _events(owner)

    owner.post(f"/appointments/{appointment['id']}/status", {"status": "late_canceled", "fee": 2000}, expect=200)
    step = _new_events(owner, log)
    log += step
    owner.post(f"/appointments/{other['id']}/status", {"status": "canceled", "disposition": "refund"}, expect=200)
    refunded = _new_events(owner, log)

    created = [e for e in step if e["type"] == "credit.created"]
    assert [(e["data"]["source"], e["data"]["amount"]) for e in created] == [("cancellation", 10000)]
    assert created[0]["data"]["payment_id"] == paid["payment_id"]
    _has(refunded, "refund.created")
    events = _events(owner)
    assert _check_running_balance(events, kept["id"]) == owner.credit_balance(kept["id"]) == 10000
    assert _check_running_balance(events, back["id"]) == owner.credit_balance(back["id"]) == 0


def test_events_filter_by_type_and_page_with_limit_and_cursor(owner: Api, http: TestClient, db: Database) -> None:
    """`GET /events?type=&limit&cursor` → `{data, next_cursor}`; lists take `limit` and `cursor`."""
    client = owner.client("Page Pam")
    for amount in (1000, 2000, 3000):
        owner.prepay(client["id"], "cash", amount)
    owner.pay(_open_bill(owner, client["id"], 2000)["id"], "cash", 2000)
    everything = _events(owner)
    assert len(everything) >= 8

    assert _events(owner, limit=3) == everything
    first = owner.get("/events?limit=2")
    assert first["data"] == everything[:2] and first["next_cursor"] is not None
    for type in ("payment.created", "credit.created", "bill.paid"):
        only = _events(owner, type=type, limit=2)
        assert only == [e for e in everything if e["type"] == type] and only
    assert len(_events(owner, type="credit.created")) == 3
    stranger = new_owner(http, db)
    assert not {e["id"] for e in _events(stranger)} & {e["id"] for e in everything}


def test_a_declined_card_writes_no_event(owner: Api) -> None:
    """`pm_card_chargeDeclined` is declined (402 `card_declined`, nothing recorded)."""
    client = owner.client("Quiet Quinn")
    before = _events(owner)
    body = {"type": "card", "amount": 5000, "payment_method": "pm_card_chargeDeclined"}
    _error(_send(owner, "POST", f"/clients/{client['id']}/payments", body), 402, "card_declined")
    assert _events(owner) == before


# --- Webhook endpoints ---------------------------------------------------------------------------


@pytest.fixture
def hooks(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """An owner on a server run with `CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE=true` and a Stripe webhook secret."""
    monkeypatch.setenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("CLIENTLEDGER_STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
    application = create_app(database_url)
    try:
        with TestClient(application) as client:
            yield new_owner(client, db)
    finally:
        application.state.runner.db.dispose()


def _deliver(database_url: str) -> None:
    """`clientledger deliver-events`: send the outbox's due webhook deliveries once and exit."""
    result = CliRunner().invoke(cli_app, ["deliver-events", "--database-url", database_url])
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)


def _endpoint(api: Api, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url} if events is None else {"url": url, "events": events}
    endpoint: dict[str, Any] = api.post("/webhook-endpoints", body, expect=201)
    return endpoint


def _endpoint_ids(api: Api) -> list[str]:
    listed = api.get("/webhook-endpoints")
    rows = listed["data"] if isinstance(listed, dict) else listed
    return [e["id"] for e in rows]


def test_only_the_owner_manages_webhook_endpoints(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """`POST /webhook-endpoints` `url, events?` → 201 `id, url, events, secret`; `GET /webhook-endpoints`;
    `DELETE /webhook-endpoints/{id}` → 204 (owner only)."""
    monkeypatch.delenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    url = "https://93.184.216.34/clientledger/hooks"  # a public address; this practice moves no money

    created = _endpoint(owner, url, ["credit.*", "refund.failed"])

    assert set(created) >= {"id", "url", "events", "secret"}
    assert (created["url"], created["events"]) == (url, ["credit.*", "refund.failed"])
    assert isinstance(created["secret"], str) and len(created["secret"]) >= 16
    assert _endpoint_ids(owner) == [created["id"]]
    for role in ("biller", "clinician"):
        staff = owner.login_as(role)
        _error(_send(staff, "POST", "/webhook-endpoints", {"url": url}), 403, "forbidden")
        _error(_send(staff, "GET", "/webhook-endpoints"), 403, "forbidden")
        _error(_send(staff, "DELETE", f"/webhook-endpoints/{created['id']}"), 403, "forbidden")
    assert _endpoint_ids(owner) == [created["id"]]

    gone = _send(owner, "DELETE", f"/webhook-endpoints/{created['id']}")
    assert (gone.status_code, gone.content) == (204, b"")
    assert _endpoint_ids(owner) == []
    _error(_send(owner, "DELETE", f"/webhook-endpoints/{created['id']}"), 404, "not_found")


def test_another_practices_endpoint_is_404(owner: Api, http: TestClient, db: Database) -> None:
    """Another practice's object: 404, never 403."""
    created = _endpoint(owner, "https://93.184.216.34/hooks/mine")
    intruder = new_owner(http, db)

    _error(_send(intruder, "DELETE", f"/webhook-endpoints/{created['id']}"), 404, "not_found")

    assert created["id"] not in _endpoint_ids(intruder)
    assert _endpoint_ids(owner) == [created["id"]]
    owner.call("DELETE", f"/webhook-endpoints/{created['id']}", expect=204)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hooks",
        "https://127.0.0.1/hooks",
        "https://127.0.0.1:8443/hooks",
        "https://localhost/hooks",
        "https://[::1]/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://172.16.5.4/hooks",
        "http://127.0.0.1:9/hooks",
    ],
)
def test_http_loopback_and_private_urls_are_refused_by_default(
    owner: Api, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Endpoint URLs must be `https://` on a public address, unless the server runs with
    `CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE=true`; otherwise 422."""
    monkeypatch.delenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", raising=False)

    _error(_send(owner, "POST", "/webhook-endpoints", {"url": url}), 422, None)

    assert _endpoint_ids(owner) == []


def test_with_allow_private_http_and_loopback_urls_are_accepted(hooks: Api) -> None:
    """`CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE=true` … also allows `http://`, loopback and private addresses."""
    made = [_endpoint(hooks, url)["id"] for url in ("http://127.0.0.1:9/hooks", "http://10.1.2.3/hooks")]
    assert sorted(_endpoint_ids(hooks)) == sorted(made)
    for endpoint_id in made:
        hooks.call("DELETE", f"/webhook-endpoints/{endpoint_id}", expect=204)


def _deliver_until(database_url: str, done: Callable[[], bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run `deliver-events` until ``done``: retries come no more than 60 seconds apart, so within ~70 s.

    Each run after the first happens a little later on the ledger's clock too, so a retry that is due
    later in real time is due then.
    """
    _deliver(database_url)
    deadline = time.monotonic() + 75
    shift = 0
    while not done() and time.monotonic() < deadline:
        shift += 1
        with at_moment(monkeypatch, utcnow() + dt.timedelta(minutes=2 * shift)):
            _deliver(database_url)
        if not done():
            time.sleep(1)


def _listed(api: Api) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in _events(api)}


def test_each_event_is_posted_signed_to_the_endpoint_as_get_events_lists_it(
    hooks: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event is POSTed to each matching endpoint as JSON, the event object as `GET /events` lists it
    (same `id`), with `Clientledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>", keyed
    with the secret's UTF-8 bytes>`. `clientledger deliver-events` does it once."""
    with receiver() as hook:
        endpoint = _endpoint(hooks, hook.url)
        client = hooks.client("Hook Hana")
        hooks.prepay(client["id"], "card", 5000)
        made = [e for e in _events(hooks) if e["data"].get("client_id") == client["id"]]
        _has(made, "payment.created", "credit.created")

        _deliver_until(database_url, lambda: {e["id"] for e in made} <= hook.delivered_ids(), monkeypatch)

        got = hook.received()
        listed = _listed(hooks)
        assert {e["id"] for e in made} <= hook.delivered_ids()
        for delivery in got:
            assert signed_correctly(delivery, endpoint["secret"]), delivery.headers
            assert (delivery.header("Content-Type") or "").startswith("application/json")
            assert delivery.event == listed[delivery.event["id"]]
            t = int(str(delivery.header("Clientledger-Signature")).split(",")[0].removeprefix("t="))
            assert abs(t - time.time()) < 24 * 3600
        assert not signed_correctly(got[0], endpoint["secret"] + "x")
        hooks.call("DELETE", f"/webhook-endpoints/{endpoint['id']}", expect=204)


def test_an_endpoint_gets_only_the_events_it_asked_for(
    hooks: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`events?` (type names, `*` wildcards; default all): each event goes to each matching endpoint."""
    with receiver() as credits, receiver() as refunds, receiver() as everything:
        ids = [
            _endpoint(hooks, credits.url, ["credit.*"])["id"],
            _endpoint(hooks, refunds.url, ["refund.*", "bill.paid"])["id"],
            _endpoint(hooks, everything.url)["id"],
        ]
        _, line = _card_overpayment(hooks, "Filter Fay")
        assert _refund(hooks, line["payment_id"], 6000).status_code == 201
        events = _events(hooks)
        want = {
            credits.url: {e["id"] for e in events if e["type"].startswith("credit.")},
            refunds.url: {e["id"] for e in events if e["type"].startswith("refund.") or e["type"] == "bill.paid"},
            everything.url: {e["id"] for e in events},
        }
        assert all(want.values())

        def all_in() -> bool:
            return all(want[r.url] <= r.delivered_ids() for r in (credits, refunds, everything))

        _deliver_until(database_url, all_in, monkeypatch)

        for hook in (credits, refunds, everything):
            assert hook.delivered_ids() == want[hook.url], hook.url
        for endpoint_id in ids:
            hooks.call("DELETE", f"/webhook-endpoints/{endpoint_id}", expect=204)


def test_a_receiver_that_fails_first_gets_the_same_event_again(
    hooks: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """… at least once: retries … until a 2xx; the same event keeps its `id` on every attempt, so receivers
    can drop repeats."""
    with receiver(fail_first=True) as hook:
        endpoint = _endpoint(hooks, hook.url, ["credit.created"])
        client = hooks.client("Retry Rhea")
        hooks.post(f"/clients/{client['id']}/credits", {"amount": 1200, "reason": "courtesy"}, expect=201)
        [event] = _events(hooks, type="credit.created")

        _deliver(database_url)
        assert [d.answered for d in hook.received()] == [500]
        _deliver_until(database_url, lambda: event["id"] in hook.delivered_ids(), monkeypatch)

        attempts = hook.received()
        assert [d.event["id"] for d in attempts] == [event["id"]] * len(attempts) and len(attempts) >= 2
        assert attempts[0].answered == 500 and attempts[-1].answered == 200
        assert all(d.event == event for d in attempts)
        assert all(signed_correctly(d, endpoint["secret"]) for d in attempts)
        _deliver(database_url)
        assert len(hook.received()) == len(attempts)  # delivered: not sent again
        hooks.call("DELETE", f"/webhook-endpoints/{endpoint['id']}", expect=204)


def test_a_deleted_endpoint_gets_nothing_more(hooks: Api, database_url: str) -> None:
    """`DELETE /webhook-endpoints/{id}` → 204: the endpoint is gone."""
    with receiver() as hook:
        endpoint = _endpoint(hooks, hook.url)
        hooks.call("DELETE", f"/webhook-endpoints/{endpoint['id']}", expect=204)
        hooks.prepay(hooks.client("Gone Gil")["id"], "cash", 700)

        _deliver(database_url)

        assert hook.received() == []


# --- Processor events in: POST /webhooks/stripe --------------------------------------------------


def _stripe(api: Api, event: dict[str, Any], *, secret: str = STRIPE_SECRET, at: int | None = None) -> httpx.Response:
    """Stripe POSTing an event: raw JSON, `Stripe-Signature`, no bearer token."""
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": stripe_signature(secret, body, at=at)}
    response: httpx.Response = api.http.post(API + "/webhooks/stripe", content=body, headers=headers)
    return response


def _accepted(response: httpx.Response) -> None:
    assert 200 <= response.status_code < 300, (response.status_code, response.text)


def _state(api: Api, bill: dict[str, Any], line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        api.get(f"/payments/{line['payment_id']}"),
        api.get(f"/bills/{bill['id']}"),
        api.get(f"/clients/{bill['client_id']}/credits"),
    )


def test_a_stripe_event_without_a_good_signature_is_400_and_changes_nothing(hooks: Api) -> None:
    """`POST /webhooks/stripe` checks `Stripe-Signature` (… at most 5 minutes old) with
    `CLIENTLEDGER_STRIPE_WEBHOOK_SECRET` (a bad or missing signature is 400 and changes nothing)."""
    bill, line = _card_overpayment(hooks, "Forged Fred")
    refund = stripe_refund(line["processor_ref"], 7000)
    event = stripe_event("refund.created", refund)
    body = json.dumps(event).encode()
    before = _state(hooks, bill, line)
    url = API + "/webhooks/stripe"
    plain = {"Content-Type": "application/json"}

    attempts = [
        hooks.http.post(url, content=body, headers=plain),
        hooks.http.post(
            url, content=body, headers={**plain, "Stripe-Signature": stripe_signature("whsec_wrong", body)}
        ),
        hooks.http.post(
            url, content=body, headers={**plain, "Stripe-Signature": stripe_signature(STRIPE_SECRET, b"{}")}
        ),
        hooks.http.post(url, content=body, headers={**plain, "Stripe-Signature": "garbage"}),
        hooks.http.post(url, content=body, headers={**plain, "Stripe-Signature": f"t={int(time.time())}"}),
        _stripe(hooks, event, at=int(time.time()) - 600),  # ten minutes old
        hooks.http.post(
            url,
            content=body,
            headers={**plain, **hooks.headers(), "Stripe-Signature": stripe_signature("whsec_wrong", body)},
        ),  # a bearer token is no signature
    ]

    assert [r.status_code for r in attempts] == [400] * len(attempts), [r.text for r in attempts]
    assert _state(hooks, bill, line) == before


@pytest.mark.parametrize("order", ["charge_then_refund", "refund_then_charge"])
def test_a_dashboard_refund_is_recorded_once_by_rule_7_however_often_delivered(hooks: Api, order: str) -> None:
    """`charge.refunded` and `refund.created` for a refund made outside clientledger (e.g. in the processor's
    dashboard), full or partial, is recorded once as a refund of that payment by rule 7, however often it is
    delivered. Events name the payment by `processor_ref` (the charge id)."""
    bill, line = _card_overpayment(hooks, f"Dash {order}")
    refund = stripe_refund(line["processor_ref"], 7000)
    charge_refunded = stripe_event("charge.refunded", stripe_charge(line["processor_ref"], 20000, [refund]))
    refund_created = stripe_event("refund.created", refund)
    events = [charge_refunded, refund_created] if order == "charge_then_refund" else [refund_created, charge_refunded]

    for event in events + events + [events[0]]:
        _accepted(_stripe(hooks, event))

    payment = hooks.get(f"/payments/{line['payment_id']}")
    assert payment["refunded"] == 7000
    [recorded] = payment["refunds"]
    assert (recorded["amount"], recorded["from_credit"], recorded["from_bills"]) == (7000, 5000, 2000)
    assert recorded["status"] == "settled" and recorded["processor_ref"] == refund["id"]
    assert hooks.credit_balance(bill["client_id"]) == 0
    after = hooks.get(f"/bills/{bill['id']}")
    assert (after["status"], after["balance_due"]) == ("open", 2000)
    assert next(x for x in after["lines"] if x["id"] == line["id"])["refunded"] == 7000
    _has(_events(hooks), "refund.created", "credit.refunded")


def test_a_partial_dashboard_refund_by_refund_created_alone(hooks: Api) -> None:
    """… full or partial …: a refund smaller than the payment's credit comes from that credit (rule 7)."""
    bill, line = _card_overpayment(hooks, "Partial Pia")
    refund = stripe_refund(line["processor_ref"], 3000)

    for _ in range(2):
        _accepted(_stripe(hooks, stripe_event("refund.created", refund)))  # Stripe resends as a new delivery

    payment = hooks.get(f"/payments/{line['payment_id']}")
    assert payment["refunded"] == 3000
    assert [(r["amount"], r["from_credit"], r["from_bills"]) for r in payment["refunds"]] == [(3000, 3000, 0)]
    assert hooks.credit_balance(bill["client_id"]) == 2000
    assert hooks.get(f"/bills/{bill['id']}")["balance_due"] == 0


def test_a_full_dashboard_refund_by_charge_refunded_alone(hooks: Api) -> None:
    """… full or partial …: refunding all of it takes the credit and reopens the bill for all it paid."""
    bill, line = _card_overpayment(hooks, "Full Flo")
    refund = stripe_refund(line["processor_ref"], 20000)
    event = stripe_event("charge.refunded", stripe_charge(line["processor_ref"], 20000, [refund]))

    _accepted(_stripe(hooks, event))
    _accepted(_stripe(hooks, event))

    payment = hooks.get(f"/payments/{line['payment_id']}")
    assert payment["refunded"] == 20000
    assert [(r["amount"], r["from_credit"], r["from_bills"]) for r in payment["refunds"]] == [(20000, 5000, 15000)]
    assert hooks.credit_balance(bill["client_id"]) == 0
    after = hooks.get(f"/bills/{bill['id']}")
    assert (after["status"], after["balance_due"]) == ("open", 15000)


def test_the_echo_of_a_refund_made_in_clientledger_records_nothing_twice(hooks: Api) -> None:
    """A refund made through clientledger carries its own `processor_ref` (the processor's refund id), so its
    echo from the processor records nothing twice."""
    bill, line = _card_overpayment(hooks, "Echo Eli")
    made = _refund(hooks, line["payment_id"], 3000)
    assert made.status_code == 201, made.text
    ref = hooks.get(f"/payments/{line['payment_id']}")["refunds"][0]["processor_ref"]
    assert isinstance(ref, str) and ref
    echo = stripe_refund(
        line["processor_ref"], 3000, refund_id=ref, metadata={"clientledger_refund_id": made.json()["id"]}
    )
    before = _state(hooks, bill, line)

    _accepted(_stripe(hooks, stripe_event("refund.created", echo)))
    _accepted(_stripe(hooks, stripe_event("charge.refunded", stripe_charge(line["processor_ref"], 20000, [echo]))))

    assert _state(hooks, bill, line) == before
    assert hooks.get(f"/payments/{line['payment_id']}")["refunded"] == 3000


@pytest.mark.parametrize("made_in", ["dashboard", "clientledger"])
def test_refund_updated_to_failed_makes_the_refund_failed(hooks: Api, made_in: str) -> None:
    """A `refund.updated` to `failed` makes the refund `failed` as above: what it took from credit goes back into
    the lots it came from, what it took from bills goes back onto them, the line's `refunded` is unchanged."""
    bill, line = _card_overpayment(hooks, f"Fails {made_in}")
    lots_before = _lots(hooks, bill["client_id"])
    if made_in == "dashboard":
        refund = stripe_refund(line["processor_ref"], 7000)
        _accepted(_stripe(hooks, stripe_event("refund.created", refund)))
    else:
        assert _refund(hooks, line["payment_id"], 7000).status_code == 201
        ref = hooks.get(f"/payments/{line['payment_id']}")["refunds"][0]["processor_ref"]
        refund = stripe_refund(line["processor_ref"], 7000, refund_id=ref)
    assert hooks.get(f"/payments/{line['payment_id']}")["refunded"] == 7000
    failed = {
        **refund,
        "status": "failed",
        "failure_reason": "lost_or_stolen_card",
        "failure_balance_transaction": "txn_failed_1",
    }
    update = stripe_event("refund.updated", failed, previous_attributes={"status": "succeeded"})

    _accepted(_stripe(hooks, update))
    _accepted(_stripe(hooks, update))

    payment = hooks.get(f"/payments/{line['payment_id']}")
    assert payment["refunded"] == 0
    [recorded] = payment["refunds"]
    assert (recorded["status"], recorded["amount"]) == ("failed", 7000)
    assert recorded.get("failure_reason")
    assert _lots(hooks, bill["client_id"]) == lots_before
    after = hooks.get(f"/bills/{bill['id']}")
    assert (after["status"], after["balance_due"]) == ("paid", 0)
    assert next(x for x in after["lines"] if x["id"] == line["id"])["refunded"] == 0
    events = _events(hooks)
    _has(events, "refund.failed")
    assert _check_running_balance(events, bill["client_id"]) == 5000


def test_a_signed_stripe_event_needs_no_bearer_token(hooks: Api) -> None:
    """`POST /webhooks/stripe` (no bearer token: the signature is the authentication)."""
    _, line = _card_overpayment(hooks, "Tokenless Tia")
    event = stripe_event("refund.created", stripe_refund(line["processor_ref"], 1000))

    r = _stripe(hooks, event)  # no Authorization header

    _accepted(r)
    assert hooks.get(f"/payments/{line['payment_id']}")["refunded"] == 1000
