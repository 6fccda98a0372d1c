"""Processor events in: Stripe's signed webhooks record a refund made in its dashboard once, and a
refund that fails there as failed; a bad signature changes nothing.

Card payments are made with the simulated processor (the default); the events name them by their
``processor_ref``, signed as Stripe signs them (``tests/support/stripe_events.py``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems
from tests.support import stripe_events as stripe

WEBHOOK = f"{API}/webhooks/stripe"


@pytest.fixture(autouse=True)
def webhook_secret(app: FastAPI) -> Iterator[None]:
    """The app as started with ``CLIENTLEDGER_STRIPE_WEBHOOK_SECRET`` set."""
    before = app.state.settings
    app.state.settings = dataclasses.replace(before, stripe_webhook_secret=stripe.SECRET)
    yield
    app.state.settings = before


def deliver(owner: Api, evt: dict[str, Any], *, signature: str | None = "sign", **sign_args: Any) -> httpx.Response:
    """POST the event as Stripe does: no bearer token, the body signed."""
    payload = stripe.body(evt)
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = stripe.sign(payload, **sign_args)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    answer: httpx.Response = owner.http.post(WEBHOOK, content=payload, headers=headers)
    return answer


def received(owner: Api, evt: dict[str, Any]) -> dict[str, Any]:
    r = deliver(owner, evt)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    assert answer["received"] is True and answer["event_id"] == evt["id"]
    return answer


def overpaid_card(owner: Api, name: str, *, fee: int = 15000, amount: int = 20000) -> dict[str, Any]:
    """A session billed and paid by card beyond its fee: the excess is credit from that payment."""
    client = owner.client(name)
    bill = owner.session_bill(client["id"], fee, apply_available_credit=False)
    line = owner.pay(bill["id"], "card", amount)
    return {"client": client["id"], "bill": bill["id"], "payment": line["payment_id"], "charge": line["processor_ref"]}


def state(owner: Api, paid: dict[str, Any]) -> dict[str, Any]:
    payment = owner.get(f"/payments/{paid['payment']}")
    bill = owner.get(f"/bills/{paid['bill']}")
    return {
        "credit": owner.credit_balance(paid["client"]),
        "bill": (bill["status"], bill["balance_due"]),
        "refunded": payment["refunded"],
        "refunds": [(r["amount"], r["status"], r["processor_ref"], r["reason"]) for r in payment["refunds"]],
    }


def refund_entries(owner: Api, payment_id: str) -> list[dict[str, Any]]:
    return [e for e in owner.get("/reports/journal")["data"] if e["payment_id"] == payment_id and "refund" in e["kind"]]


def test_a_bad_missing_or_stale_signature_is_400_and_changes_nothing(owner: Api, app: FastAPI) -> None:
    paid = overpaid_card(owner, "Sig Sam")
    evt = stripe.event("refund.created", stripe.refund(paid["charge"], 20000))
    before = state(owner, paid)
    payload = stripe.body(evt)
    refused = [
        deliver(owner, evt, signature=None),
        deliver(owner, evt, signature=""),
        deliver(owner, evt, signature="t=1,v1=nonsense"),
        deliver(owner, evt, secret="whsec_someone_else"),
        deliver(owner, evt, timestamp=int(time.time()) - 301),
        owner.http.post(WEBHOOK, content=payload + b" ", headers={"Stripe-Signature": stripe.sign(payload)}),
    ]
    app.state.settings = dataclasses.replace(app.state.settings, stripe_webhook_secret=None)
    refused.append(deliver(owner, evt))
    app.state.settings = dataclasses.replace(app.state.settings, stripe_webhook_secret=stripe.SECRET)

    for r in refused:
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "invalid_signature"
    assert state(owner, paid) == before
    assert received(owner, evt)["duplicate"] is False  # the refused deliveries stored nothing, not even its id


def test_a_full_refund_made_in_stripe_is_recorded_once_however_it_is_told(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Dashboard Dora")
    refund = stripe.refund(paid["charge"], 20000)
    created = stripe.event("refund.created", refund)

    first = received(owner, created)
    again = received(owner, created)
    received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 20000)))
    received(owner, stripe.event("refund.updated", refund))
    received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 20000, refunds=[refund])))

    assert first["outcome"].startswith("recorded refund") and not first["duplicate"]
    assert again == {**first, "duplicate": True}
    assert state(owner, paid) == {
        "credit": 0,
        "bill": ("open", 15000),
        "refunded": 20000,
        "refunds": [(20000, "settled", refund["id"], "Refunded in Stripe")],
    }
    [entry] = refund_entries(owner, paid["payment"])
    assert sum(p["amount"] for p in entry["postings"]) == 0
    assert ledger_problems(db) == []


def test_a_partial_refund_told_first_by_the_charge_is_claimed_by_its_own_event(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Partial Pat")
    refund = stripe.refund(paid["charge"], 7000)

    received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 7000)))
    told_first = state(owner, paid)
    claimed = received(owner, stripe.event("refund.created", refund))
    received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 7000)))

    assert told_first["refunds"] == [(7000, "settled", None, "Refunded in Stripe")]
    assert claimed["outcome"].endswith(f"is {refund['id']}")
    assert state(owner, paid) == {
        "credit": 0,  # its own 5000 of credit first, then 2000 of what it paid on the bill
        "bill": ("open", 2000),
        "refunded": 7000,
        "refunds": [(7000, "settled", refund["id"], "Refunded in Stripe")],
    }
    assert len(refund_entries(owner, paid["payment"])) == 1
    assert ledger_problems(db) == []


def test_two_partial_refunds_listed_by_the_charge_are_each_recorded_once(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Listed Lee")
    one, two = stripe.refund(paid["charge"], 1000), stripe.refund(paid["charge"], 2500)

    received(owner, stripe.event("refund.created", one))
    received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 3500, refunds=[two, one])))
    received(owner, stripe.event("refund.created", two))
    received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 3500)))

    after = state(owner, paid)
    assert sorted(after["refunds"]) == sorted(
        [(1000, "settled", one["id"], "Refunded in Stripe"), (2500, "settled", two["id"], "Refunded in Stripe")]
    )
    assert (after["credit"], after["bill"], after["refunded"]) == (1500, ("paid", 0), 3500)
    assert ledger_problems(db) == []


def test_the_echo_of_a_refund_made_through_clientledger_records_nothing(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Echo Ed")
    ours = owner.post(f"/payments/{paid['payment']}/refunds", {"amount": 5000}, expect=201)
    assert ours["status"] == "settled" and ours["processor_ref"]
    echo = stripe.refund(paid["charge"], 5000, id=ours["processor_ref"])
    before = state(owner, paid)

    answers = [
        received(owner, stripe.event("refund.created", echo)),
        received(owner, stripe.event("refund.updated", echo)),
        received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 5000))),
        received(owner, stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 5000, refunds=[echo]))),
    ]
    ours_by_id = stripe.refund(
        paid["charge"], 5000, id=stripe.new_id("re"), metadata={"clientledger_refund_id": ours["id"]}
    )
    answers.append(received(owner, stripe.event("refund.updated", ours_by_id)))

    assert [a["outcome"] for a in answers] == [
        f"echo of refund {ours['id']}",
        f"echo of refund {ours['id']}",
        "the charge's refunds are all recorded",
        f"echo of refund {ours['id']}",
        f"echo of refund {ours['id']}",
    ]
    assert state(owner, paid) == before
    assert len(refund_entries(owner, paid["payment"])) == 1
    assert ledger_problems(db) == []


def test_a_settled_refund_that_fails_in_stripe_puts_the_money_back(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Failing Fay")
    ours = owner.post(f"/payments/{paid['payment']}/refunds", {"amount": 8000}, expect=201)
    assert (ours["status"], ours["from_credit"], ours["from_bills"]) == ("settled", 5000, 3000)
    assert owner.get(f"/bills/{paid['bill']}")["balance_due"] == 3000
    failed = stripe.refund(
        paid["charge"],
        8000,
        id=ours["processor_ref"],
        status="failed",
        failure_reason="expired_or_canceled_card",
        metadata={"clientledger_refund_id": ours["id"], "clientledger_practice_id": owner.practice_id},
    )

    first = received(owner, stripe.event("refund.updated", failed))
    again = received(owner, stripe.event("refund.updated", failed))

    assert first["outcome"] == f"refund {ours['id']} failed"
    assert again["outcome"] == f"refund {ours['id']} had failed already"
    payment = owner.get(f"/payments/{paid['payment']}")
    [refund] = payment["refunds"]
    assert (refund["status"], refund["amount"]) == ("failed", 8000)
    assert "expired_or_canceled_card" in refund["failure_reason"]
    assert (payment["refunded"], payment["credited"]) == (0, 5000)
    assert owner.credit_balance(paid["client"]) == 5000
    bill = owner.get(f"/bills/{paid['bill']}")
    assert (bill["status"], bill["balance_due"], bill["lines"][0]["amount"]) == ("paid", 0, 15000)
    assert [e["kind"] for e in refund_entries(owner, paid["payment"])] == ["refund", "refund_failed"]
    assert ledger_problems(db) == []


def test_a_refund_made_in_stripe_that_fails_later_is_failed_too(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Later Lou")
    refund = stripe.refund(paid["charge"], 20000)
    received(owner, stripe.event("refund.created", refund))

    received(owner, stripe.event("refund.updated", {**refund, "status": "failed", "failure_reason": "unknown"}))

    after = state(owner, paid)
    assert (after["credit"], after["bill"], after["refunded"]) == (5000, ("paid", 0), 0)
    assert after["refunds"] == [(20000, "failed", refund["id"], "Refunded in Stripe")]
    assert ledger_problems(db) == []


def test_events_for_unknown_charges_or_types_are_received_and_ignored(owner: Api) -> None:
    paid = overpaid_card(owner, "Unknown Una")
    before = state(owner, paid)

    unknown_charge = received(owner, stripe.event("refund.created", stripe.refund("ch_not_ours", 500)))
    unknown_type = received(owner, stripe.event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert unknown_charge["outcome"] == "ignored: no payment has charge ch_not_ours"
    assert unknown_type["outcome"] == "ignored: customer.created is not acted on"
    assert state(owner, paid) == before


def test_a_stripe_refund_of_credit_spent_elsewhere_is_not_recorded_and_staff_can_see_it(
    owner: Api, db: Database
) -> None:
    client = owner.client("Spent Sue")
    prepaid = owner.prepay(client["id"], "card", 5000)
    owner.session_bill(client["id"], 15000)  # the practice applies the credit to the bill
    assert owner.credit_balance(client["id"]) == 0

    answer = received(owner, stripe.event("refund.created", stripe.refund(prepaid["processor_ref"], 5000)))

    assert answer["outcome"].startswith("not recorded (exceeds_refundable)")
    payment = owner.get(f"/payments/{prepaid['id']}")
    assert (payment["refunded"], payment["refunds"]) == (0, [])
    [event] = owner.get(f"/audit?object_id={prepaid['id']}")["data"][:1]
    assert event["action"] == "payment.processor_refund_refused" and event["user_id"] is None
    assert ledger_problems(db) == []


def test_concurrent_deliveries_of_one_refund_record_it_once(owner: Api, db: Database) -> None:
    paid = overpaid_card(owner, "Twin Tom")
    refund = stripe.refund(paid["charge"], 6000)
    created = stripe.event("refund.created", refund)
    told = [created] * 6 + [stripe.event("charge.refunded", stripe.charge(paid["charge"], 20000, 6000))] * 3
    told += [stripe.event("refund.updated", refund) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda evt: deliver(owner, evt), told))

    assert [r.status_code for r in answers] == [200] * len(told)
    assert sum(not r.json()["duplicate"] for r in answers[:6]) == 1
    after = state(owner, paid)
    assert after["refunded"] == 6000 and [r[:2] for r in after["refunds"]] == [(6000, "settled")]
    assert after["refunds"][0][2] == refund["id"]
    assert len(refund_entries(owner, paid["payment"])) == 1
    assert ledger_problems(db) == []


def test_the_webhook_needs_no_bearer_token_but_other_routes_still_do(owner: Api) -> None:
    unsigned = owner.http.post(WEBHOOK, content=b"{}")
    other = owner.http.post(f"{API}/clients", json={"name": "No Token"})

    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (400, "invalid_signature")
    assert (other.status_code, other.json()["error"]["code"]) == (401, "unauthorized")


def test_a_payment_charged_through_a_payment_intent_is_found_by_it(owner: Api, db: Database) -> None:
    """With the Stripe processor a payment's ``processor_ref`` is its PaymentIntent (``pi_...``): a
    Refund names it as ``payment_intent``, next to the Charge id clientledger never stored."""
    paid = overpaid_card(owner, "Intent Ivy")
    refund = stripe.refund(stripe.new_id("ch"), 4000, payment_intent=paid["charge"])

    answer = received(owner, stripe.event("refund.created", refund))

    assert answer["outcome"].startswith("recorded refund")
    assert state(owner, paid)["refunds"] == [(4000, "settled", refund["id"], "Refunded in Stripe")]
    assert ledger_problems(db) == []


def test_an_event_whose_random_ids_hold_a_luhn_valid_run_of_digits_is_still_received(owner: Api) -> None:
    """Stripe's body is signed and typed by no one: its ids are not read as card numbers (a refusal
    would have Stripe retry the event for days and the refund never reach the ledger)."""
    paid = overpaid_card(owner, "Digits Dee")
    refund = stripe.refund(paid["charge"], 1000) | {"id": "re_4242424242424242Ab"}

    answer = received(owner, stripe.event("refund.created", refund, id="evt_4000056655665556Xy"))

    assert answer["outcome"].startswith("recorded refund")
    assert state(owner, paid)["refunds"] == [(1000, "settled", "re_4242424242424242Ab", "Refunded in Stripe")]
    memo = {"type": "cash", "amount": 100, "memo": "ref 4242424242424242"}
    assert owner.post(f"/bills/{paid['bill']}/payments", memo, expect=422)["error"]["code"] == "validation_error"
