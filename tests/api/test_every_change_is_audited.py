"""Every API request that changes anything writes an audit event naming who made it.

One representative request per POST/PATCH/DELETE operation of the OpenAPI document; the table must
cover every one, so a new mutating route fails here until it is shown to audit.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems
from tests.factories import Ledger, a_card_payment, a_prepaid_client, a_self_pay_bill, an_insured_bill
from tests.support import stripe_events as stripe

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    files: dict[str, tuple[str, bytes]] | None = None
    token: str | None = None  # another token than the owner's (the one a logout revokes)
    expect: int = 200
    content: bytes | None = None
    signed: dict[str, str] | None = None  # a processor's event: its signature instead of a bearer token


@pytest.fixture(autouse=True)
def stripe_webhook_secret(app: FastAPI) -> Iterator[None]:
    before = app.state.settings
    app.state.settings = dataclasses.replace(before, stripe_webhook_secret=stripe.SECRET)
    yield
    app.state.settings = before


Setup = Callable[[Api, Ledger], Call]


def _login(owner: Api, ledger: Ledger) -> Call:
    return Call("POST", "/auth/tokens", {"email": owner.email, "password": "owner-pass-1"}, expect=201)


def _logout(owner: Api, ledger: Ledger) -> Call:
    r = owner.http.post(f"{API}/auth/tokens", json={"email": owner.email, "password": "owner-pass-1"})
    return Call("DELETE", "/auth/tokens/current", token=r.json()["token"], expect=204)


def _appointment_status(owner: Api, ledger: Ledger) -> Call:
    appointment = ledger.appointment(ledger.client("Stat").id)
    return Call("POST", f"/appointments/{appointment.id}/status", {"status": "attended"})


def _bill(owner: Api, ledger: Ledger) -> Call:
    client = ledger.client("Billy")
    appointment = ledger.appointment(client.id)
    ledger.set_status(appointment.id, "attended")
    return Call("POST", "/bills", {"client_id": client.id, "appointment_ids": [appointment.id]}, expect=201)


def _bill_payment(owner: Api, ledger: Ledger) -> Call:
    bill = a_self_pay_bill(ledger, "Payer")[1]
    return Call("POST", f"/bills/{bill.id}/payments", {"type": "cash", "amount": 1000}, expect=201)


def _line_refund(owner: Api, ledger: Ledger) -> Call:
    bill, line = a_card_payment(ledger)
    return Call("POST", f"/bills/{bill.id}/lines/{line.id}/refund", {"amount": 500})


def _credit_applied(owner: Api, ledger: Ledger) -> Call:
    client, _ = a_prepaid_client(ledger, "Applied", amount=5000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id).id], apply_credit=False)
    return Call("POST", f"/bills/{bill.id}/apply-credit", {}, expect=201)


def _line_removed(owner: Api, ledger: Ledger) -> Call:
    bill = a_self_pay_bill(ledger, "Remover")[1]
    line = ledger.pay(bill.id, "cash", 1000)
    return Call("DELETE", f"/bills/{bill.id}/lines/{line.id}", expect=204)


def _prepayment(owner: Api, ledger: Ledger) -> Call:
    return Call("POST", f"/clients/{ledger.client('Early').id}/payments", {"type": "cash", "amount": 2000}, expect=201)


def _payment_refund(owner: Api, ledger: Ledger) -> Call:
    payment = a_prepaid_client(ledger, "Refunded", amount=5000)[1]
    return Call("POST", f"/payments/{payment.id}/refunds", {"amount": 1000}, expect=201)


def _credit_added(owner: Api, ledger: Ledger) -> Call:
    client = ledger.client("Credited")
    return Call("POST", f"/clients/{client.id}/credits", {"amount": 1000, "reason": "courtesy"}, expect=201)


def _credit_removed(owner: Api, ledger: Ledger) -> Call:
    client = ledger.client("Debited")
    lot = ledger.manual_credit(client.id, 1000)
    return Call("POST", f"/clients/{client.id}/credits/{lot.id}/remove", {})


def _card_added(owner: Api, ledger: Ledger) -> Call:
    client = ledger.client("Carded")
    return Call("POST", f"/clients/{client.id}/cards", {"payment_method": "pm_card_visa"}, expect=201)


def _card_removed(owner: Api, ledger: Ledger) -> Call:
    client = ledger.client("Uncarded")
    card = ledger.add_card(client.id)
    return Call("DELETE", f"/clients/{client.id}/cards/{card.id}", expect=204)


def _insurance_payment(owner: Api, ledger: Ledger) -> Call:
    bill = an_insured_bill(ledger, copay_paid_by="card")[1]
    body = {
        "item_id": bill.items[0].id,
        "payer": "BRHP1",
        "paid": 8000,
        "patient_responsibility": 2000,
        "adjustments": [{"group": "PR", "reason": "2", "amount": 2000}],
    }
    return Call("POST", f"/bills/{bill.id}/insurance-payments", body)


def _era_import(owner: Api, ledger: Ledger) -> Call:
    content = (FIXTURES / "unmatched_claim.835").read_bytes()  # no session matches: posts nothing
    return Call("POST", "/era-imports", files={"file": ("remit.835", content)}, expect=201)


def _stripe_refund(owner: Api, ledger: Ledger) -> Call:
    _, line = a_card_payment(ledger)
    assert line.processor_ref is not None
    payload = stripe.body(stripe.event("refund.created", stripe.refund(line.processor_ref, 500)))
    return Call("POST", "/webhooks/stripe", content=payload, signed={"Stripe-Signature": stripe.sign(payload)})


def _package_sold(owner: Api, ledger: Ledger) -> Call:
    client = ledger.client("Packaged")
    body = {"name": "Four sessions", "sessions": 4, "price": 40000, "payment": {"type": "cash"}}
    return Call("POST", f"/clients/{client.id}/packages", body, expect=201)


def _household_created(owner: Api, ledger: Ledger) -> Call:
    ids = [ledger.client("Parent").id, ledger.client("Child").id]
    return Call("POST", "/households", {"name": "Rivera", "client_ids": ids, "share_credit": True}, expect=201)


def _member_added(owner: Api, ledger: Ledger) -> Call:
    household = ledger.household([ledger.client("Parent").id])
    return Call("POST", f"/households/{household.id}/members", {"client_id": ledger.client("Child").id}, expect=201)


def _endpoint_deleted(owner: Api, ledger: Ledger) -> Call:
    endpoint = owner.post("/webhook-endpoints", {"url": "https://93.184.216.34/gone"}, expect=201)
    return Call("DELETE", f"/webhook-endpoints/{endpoint['id']}", expect=204)


MUTATIONS: dict[tuple[str, str], Setup] = {
    ("POST", "/auth/tokens"): _login,
    ("DELETE", "/auth/tokens/current"): _logout,
    ("PATCH", "/practice"): lambda o, lg: Call("PATCH", "/practice", {"auto_apply_credit": False}),
    ("POST", "/users"): lambda o, lg: Call(
        "POST",
        "/users",
        {"email": f"b{uuid.uuid4().hex[:8]}@x.example.com", "password": "pass-word-1", "role": "biller"},
        expect=201,
    ),
    ("POST", "/clients"): lambda o, lg: Call("POST", "/clients", {"name": "New"}, expect=201),
    ("POST", "/appointments"): lambda o, lg: Call(
        "POST",
        "/appointments",
        {"client_id": lg.client("Appt").id, "date": "2026-11-02", "service_code": "90834", "fee": 15000},
        expect=201,
    ),
    ("POST", "/appointments/{appointment_id}/status"): _appointment_status,
    ("POST", "/bills"): _bill,
    ("POST", "/bills/{bill_id}/payments"): _bill_payment,
    ("POST", "/bills/{bill_id}/apply-credit"): _credit_applied,
    ("POST", "/bills/{bill_id}/lines/{line_id}/refund"): _line_refund,
    ("DELETE", "/bills/{bill_id}/lines/{line_id}"): _line_removed,
    ("POST", "/clients/{client_id}/payments"): _prepayment,
    ("POST", "/payments/{payment_id}/refunds"): _payment_refund,
    ("POST", "/clients/{client_id}/credits"): _credit_added,
    ("POST", "/clients/{client_id}/credits/{lot_id}/remove"): _credit_removed,
    ("POST", "/clients/{client_id}/cards"): _card_added,
    ("POST", "/clients/{client_id}/packages"): _package_sold,
    ("POST", "/households"): _household_created,
    ("POST", "/households/{household_id}/members"): _member_added,
    ("DELETE", "/clients/{client_id}/cards/{card_id}"): _card_removed,
    ("POST", "/bills/{bill_id}/insurance-payments"): _insurance_payment,
    ("POST", "/era-imports"): _era_import,
    ("POST", "/webhooks/stripe"): _stripe_refund,
    ("POST", "/webhook-endpoints"): lambda o, lg: Call(
        "POST", "/webhook-endpoints", {"url": "https://93.184.216.34/audited"}, expect=201
    ),
    ("DELETE", "/webhook-endpoints/{endpoint_id}"): _endpoint_deleted,
}


def test_the_table_covers_every_mutating_operation(app: FastAPI) -> None:
    served = {
        (method.upper(), path.removeprefix(API))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert served == set(MUTATIONS)


@pytest.mark.parametrize("operation", list(MUTATIONS), ids=lambda op: f"{op[0]} {op[1]}")
def test_each_mutating_request_writes_an_audit_event_naming_its_user(
    operation: tuple[str, str], owner: Api, ledger: Ledger, db: Database
) -> None:
    call = MUTATIONS[operation](owner, ledger)
    rid = f"audit-{uuid.uuid4().hex[:16]}"
    headers = {"Authorization": f"Bearer {call.token or owner.token}", "X-Request-Id": rid}
    if call.method == "POST" and operation[1] == "/auth/tokens":
        del headers["Authorization"]
    if call.signed is not None:
        headers = {**call.signed, "X-Request-Id": rid}

    r = owner.http.request(
        call.method, API + call.path, json=call.json, content=call.content, files=call.files, headers=headers
    )

    assert r.status_code == call.expect, r.text
    mine = [e for e in owner.get("/audit?limit=200")["data"] if e["request_id"] == rid]
    assert mine, f"{call.method} {call.path} wrote no audit event"
    # A processor's event is no user's doing: its events name nobody.
    assert {e["user_id"] for e in mine} == {None if call.signed is not None else _user_id(owner)}
    assert ledger_problems(db) == []


def _user_id(api: Api) -> str:
    """The user behind ``api``'s token, as the audit trail names them (from a change of their own)."""
    client = api.post("/clients", {"name": "Reference"}, expect=201)
    [event] = api.get(f"/audit?object_id={client['id']}")["data"]
    return str(event["user_id"])
