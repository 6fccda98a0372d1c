"""A NUL character typed into any web form is refused with the form's message, never a 500, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clientledger.db import Tx
from clientledger.models import audit_events, journal_entries
from tests.api.conftest import Api
from tests.factories import OWNER_PASSWORD, Ledger, an_insured_bill
from tests.web.desk import SESSION_COOKIE, Desk

NUL = "a\x00b"


def _changes(ledger: Ledger) -> tuple[int, int]:
    def query(tx: Tx) -> tuple[int, int]:
        p = ledger.ctx.practice_id
        entries = tx.conn.execute(select(func.count()).where(journal_entries.c.practice_id == p)).scalar_one()
        events = tx.conn.execute(select(func.count()).where(audit_events.c.practice_id == p)).scalar_one()
        return int(entries), int(events)

    return ledger.read(query)


Form = Callable[[Desk], tuple[str, dict[str, str]]]


def _client_id(desk: Desk) -> str:
    return desk.ledger.client("Nul Web Client").id


def _lot(desk: Desk) -> tuple[str, str]:
    client_id = _client_id(desk)
    return client_id, desk.ledger.manual_credit(client_id, 1000).id


def _insurance_form(desk: Desk) -> tuple[str, dict[str, str]]:
    bill = an_insured_bill(desk.ledger, copay_paid_by="card")[1]
    fields = {"item_id": bill.items[0].id, "payer": NUL, "paid": "80", "patient_responsibility": "20"}
    return f"/bills/{bill.id}/insurance-payments/new", fields


FORMS: dict[str, Form] = {
    "client name": lambda d: ("/clients/new", {"name": NUL, "billing": "self_pay"}),
    "client email": lambda d: ("/clients/new", {"name": "Ada", "email": f"a{NUL}@example.com"}),
    "service code": lambda d: (
        f"/clients/{_client_id(d)}/appointments/new",
        {"date": "2026-11-02", "service_code": NUL, "fee": "150"},
    ),
    "payment memo": lambda d: (f"/clients/{_client_id(d)}/payments/new", {"type": "cash", "amount": "30", "memo": NUL}),
    "credit note": lambda d: (
        f"/clients/{_client_id(d)}/billing/credits/new",
        {"amount": "10", "reason": "courtesy", "note": NUL},
    ),
    "removal note": lambda d: (
        "/clients/{}/billing/credits/{}/remove".format(*_lot(d)),
        {"amount": "5", "note": NUL},
    ),
    "payer": _insurance_form,
    "practice name": lambda d: ("/settings", {"name": NUL}),
}


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_a_nul_character_in_a_form_shows_the_forms_error_and_stores_nothing(desk: Desk, form: Form) -> None:
    path, fields = form(desk)
    before = _changes(desk.ledger)
    practice_name = desk.ledger.read(lambda tx: tx.practice_id)

    status = desk.post(path, fields, htmx=True)

    assert status == 422, (path, status, desk.last_text[:500])
    assert "NUL character" in desk.last_text
    assert _changes(desk.ledger) == before
    assert desk.ledger.read(lambda tx: tx.practice_id) == practice_name


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_character_at_login_is_refused_on_the_login_page(owner: Api, http: TestClient, field: str) -> None:
    http.cookies.clear()  # signed out
    http.get("/login")
    csrf = http.cookies.get("clientledger_login_csrf")
    assert csrf
    fields = {"email": owner.email, "password": OWNER_PASSWORD, "csrf_token": csrf, field: NUL}

    r = http.post("/login", data=fields, follow_redirects=False)

    assert r.status_code == 422, r.text[:300]
    assert "text/html" in r.headers["content-type"]
    assert "cannot contain a NUL character" in r.text and "Log in" in r.text
    assert SESSION_COOKIE not in r.cookies
