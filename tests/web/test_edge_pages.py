"""The web UI at the HTTP edge: a form without a session is not read, a form too large is a 413 page,
and every form that changes something leaves an audit event."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from clientledger.db import Database
from clientledger.web.routing import WebRoute
from tests.api.conftest import Api, ledger_problems
from tests.api.test_http_edge import drive
from tests.factories import a_card_payment, a_self_pay_bill, an_insured_bill
from tests.web.desk import Desk, signed_in

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"
MIB = 1024 * 1024


def test_a_form_posted_without_a_live_session_goes_to_login_unread(app: FastAPI, desk: Desk) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    none = drive(app, "POST", "/clients/new", form, chunks=40)
    stale = drive(app, "POST", "/era-imports/new", {**form, "cookie": "clientledger_session=ended"}, chunks=40)

    assert (none.status, stale.status) == (303, 303)
    assert none.headers["location"].startswith("/login?next=") and "expired=1" in stale.headers["location"]
    assert none.chunks_read == stale.chunks_read == 0


def test_an_upload_above_25_mib_and_a_form_above_1_mib_are_413_pages(desk: Desk, owner: Api) -> None:
    before = owner.get("/audit")["data"]
    upload = desk.post("/era-imports/new", files={"file": ("remit.835", b"ISA*" + b"\n" * (26 * MIB))})
    upload_text = desk.last_text
    form = desk.post("/clients/new", {"name": "A" * (MIB + 10)})

    assert (upload, form) == (413, 413)
    assert "<title>" in upload_text and "larger than 25 MiB" in upload_text and "Nothing was changed" in upload_text
    assert "larger than 1 MiB" in desk.last_text
    assert "Too large" in desk.last_text
    assert owner.get("/clients")["data"] == []
    assert owner.get("/audit")["data"] == before


@dataclass
class Form:
    path: str
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]] | None = None
    expect: int = 303  # a redirect after the action; 200 when the answer shows what it made (a secret)


FormSetup = Callable[[Desk, Api], Form]


def _login(desk: Desk, owner: Api) -> Form:
    return Form("/login", {"email": owner.email, "password": "owner-pass-1"})


def _appointment(desk: Desk, owner: Api) -> Form:
    client = desk.ledger.client("Appt")
    return Form(f"/clients/{client.id}/appointments/new", {"date": "2026-11-02", "service_code": "90834", "fee": "150"})


def _status(desk: Desk, owner: Api) -> Form:
    appointment = desk.ledger.appointment(desk.ledger.client("Stat").id)
    return Form(f"/appointments/{appointment.id}/status", {"status": "attended"})


def _bill(desk: Desk, owner: Api) -> Form:
    client = desk.ledger.client("Billy")
    appointment = desk.ledger.appointment(client.id)
    desk.ledger.set_status(appointment.id, "attended")
    return Form(f"/clients/{client.id}/bills/new", {"appointment_id": appointment.id})


def _bill_payment(desk: Desk, owner: Api) -> Form:
    bill = a_self_pay_bill(desk.ledger, "Payer")[1]
    return Form(f"/bills/{bill.id}/payments/new", {"type": "cash", "amount": "10"})


def _apply_credit(desk: Desk, owner: Api) -> Form:
    client = desk.ledger.client("Credit Applier")
    desk.ledger.prepay(client.id, "cash", 5000)
    bill = desk.ledger.bill(client.id, [desk.ledger.appointment(client.id).id], apply_credit=False)
    return Form(f"/bills/{bill.id}/apply-credit", {"amount": "50"})


def _refund(desk: Desk, owner: Api) -> Form:
    bill, line = a_card_payment(desk.ledger)
    return Form(f"/bills/{bill.id}/lines/{line.id}/refund", {"how": "full"})


def _remove_line(desk: Desk, owner: Api) -> Form:
    bill = a_self_pay_bill(desk.ledger, "Remover")[1]
    line = desk.ledger.pay(bill.id, "cash", 1000)
    return Form(f"/bills/{bill.id}/lines/{line.id}/remove", {})


def _insurance_payment(desk: Desk, owner: Api) -> Form:
    bill = an_insured_bill(desk.ledger, copay_paid_by="card")[1]
    fields = {
        "item_id": bill.items[0].id,
        "payer": "BRHP1",
        "paid": "80",
        "patient_responsibility": "20",
        "adj_group_0": "PR",
        "adj_reason_0": "2",
        "adj_amount_0": "20",
    }
    return Form(f"/bills/{bill.id}/insurance-payments/new", fields)


def _era_upload(desk: Desk, owner: Api) -> Form:
    content = (FIXTURES / "unmatched_claim.835").read_bytes()  # no session matches: posts nothing
    return Form("/era-imports/new", {}, files={"file": ("remit.835", content)})


def _remove_credit(desk: Desk, owner: Api) -> Form:
    client = desk.ledger.client("Debited")
    lot = desk.ledger.manual_credit(client.id, 1000)
    return Form(f"/clients/{client.id}/billing/credits/{lot.id}/remove", {})


def _remove_card(desk: Desk, owner: Api) -> Form:
    client = desk.ledger.client("Uncarded")
    card = desk.ledger.add_card(client.id)
    return Form(f"/clients/{client.id}/billing/cards/{card.id}/remove", {})


def _sell_package(desk: Desk, owner: Api) -> Form:
    client = desk.ledger.client("Packaged")
    fields = {"name": "Four sessions", "sessions": "4", "price": "400", "type": "cash"}
    return Form(f"/clients/{client.id}/packages/new", fields)


def _add_member(desk: Desk, owner: Api) -> Form:
    household = desk.ledger.household([desk.ledger.client("Parent").id])
    return Form(f"/households/{household.id}/members/new", {"client_id": desk.ledger.client("Child").id})


def _delete_endpoint(desk: Desk, owner: Api) -> Form:
    endpoint = owner.post("/webhook-endpoints", {"url": "https://93.184.216.34/edge"}, expect=201)
    return Form(f"/settings/webhooks/{endpoint['id']}/delete", {})


FORMS: dict[str, FormSetup] = {
    "/login": _login,
    "/logout": lambda d, o: Form("/logout", {}),
    "/clients/new": lambda d, o: Form("/clients/new", {"name": "New", "billing": "self_pay"}),
    "/clients/{client_id}/appointments/new": _appointment,
    "/clients/{client_id}/payments/new": lambda d, o: Form(
        f"/clients/{d.ledger.client('Early').id}/payments/new", {"type": "cash", "amount": "20"}
    ),
    "/appointments/{appointment_id}/status": _status,
    "/clients/{client_id}/bills/new": _bill,
    "/clients/{client_id}/packages/new": _sell_package,
    "/clients/{client_id}/household/new": lambda d, o: Form(
        f"/clients/{d.ledger.client('Householder').id}/household/new", {"name": "The Holders", "share_credit": "on"}
    ),
    "/households/{household_id}/members/new": _add_member,
    "/bills/{bill_id}/payments/new": _bill_payment,
    "/bills/{bill_id}/apply-credit": _apply_credit,
    "/bills/{bill_id}/lines/{line_id}/refund": _refund,
    "/bills/{bill_id}/lines/{line_id}/remove": _remove_line,
    "/bills/{bill_id}/insurance-payments/new": _insurance_payment,
    "/era-imports/new": _era_upload,
    "/clients/{client_id}/billing/credits/new": lambda d, o: Form(
        f"/clients/{d.ledger.client('Credited').id}/billing/credits/new", {"amount": "10", "reason": "courtesy"}
    ),
    "/clients/{client_id}/billing/credits/{lot_id}/remove": _remove_credit,
    "/clients/{client_id}/billing/cards/new": lambda d, o: Form(
        f"/clients/{d.ledger.client('Carded').id}/billing/cards/new", {"payment_method": "pm_card_visa"}
    ),
    "/clients/{client_id}/billing/cards/{card_id}/remove": _remove_card,
    "/settings": lambda d, o: Form("/settings", {"name": "", "auto_apply_credit": ""}),
    "/settings/webhooks": lambda d, o: Form(
        "/settings/webhooks", {"url": "https://93.184.216.34/edge", "events": "credit.*"}, expect=200
    ),
    "/settings/webhooks/{endpoint_id}/delete": _delete_endpoint,
}


def _routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every route, those of included routers too (FastAPI keeps an included router as one entry)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_the_table_covers_every_form(app: FastAPI) -> None:
    forms = {
        r.path
        for r in _routes(app.routes)
        if isinstance(r, WebRoute) and (r.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert len(forms) >= 15 and forms == set(FORMS)


def _event_ids(owner: Api) -> set[str]:
    return {e["id"] for e in owner.get("/audit?limit=200")["data"]}


@pytest.mark.parametrize("path", list(FORMS))
def test_each_form_that_changes_something_writes_an_audit_event(
    path: str, owner: Api, db: Database, http: TestClient
) -> None:
    desk = signed_in(owner, db, http)
    form = FORMS[path](desk, owner)
    before = _event_ids(owner)

    if path == "/login":
        http.cookies.clear()  # signed out: a live session's /login redirects to a page with another csrf_token
        page = http.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        status = http.post("/login", data={**form.fields, "csrf_token": csrf.group(1)}, follow_redirects=False)
        assert status.status_code == 303, status.text
    else:
        assert desk.post(form.path, form.fields, form.files) == form.expect, desk.last_text

    assert _event_ids(owner) - before, f"POST {form.path} wrote no audit event"
    assert ledger_problems(db) == []
