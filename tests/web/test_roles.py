"""Roles are the same on every face: each web form as owner, biller and clinician.

A clinician reads: every form that moves money or changes settings is refused with a message and
changes nothing, and the pages leave those controls out. Owners and billers get the action done.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from clientledger.db import Ctx, Database, Tx
from clientledger.models import audit_events, era_imports, journal_entries
from tests.api.conftest import Api
from tests.factories import Ledger
from tests.web.desk import signed_in

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"
SESSION_COOKIE = "clientledger_session"
ROLES = ("owner", "biller", "clinician")


def _counts(ledger: Ledger) -> tuple[int, int]:
    """(journal entries, audit events and 835 imports) of the practice."""

    def query(tx: Tx) -> tuple[int, int]:
        p = ledger.ctx.practice_id

        def count(table: Table) -> int:
            return int(tx.conn.execute(select(func.count()).where(table.c.practice_id == p)).scalar_one())

        return count(journal_entries), count(audit_events) + count(era_imports)

    return ledger.read(query)


# Each form: how to build what it acts on, then (path, fields, files). Built afresh for every role.
Form = Callable[[Ledger], tuple[str, dict[str, str], dict[str, tuple[str, bytes]] | None]]


def _new_client(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    return "/clients/new", {"name": "Role Rita", "billing": "self_pay"}, None


def _new_appointment(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Ray")
    return f"/clients/{c.id}/appointments/new", {"date": "2026-11-05", "service_code": "90834", "fee": "150"}, None


def _prepayment(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Pia")
    return f"/clients/{c.id}/payments/new", {"type": "cash", "amount": "50"}, None


def _status(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Sal")
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=15000).id])
    ledger.pay(bill.id, "cash", 15000)
    appt = bill.items[0].appointment_id
    return f"/appointments/{appt}/status", {"status": "canceled", "fee": "0", "disposition": "credit"}, None


def _new_bill(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Bo")
    appt = ledger.appointment(c.id, fee=15000)
    return f"/clients/{c.id}/bills/new", {"appointment_id": appt.id}, None


def _bill_payment(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Pat")
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=15000).id])
    return f"/bills/{bill.id}/payments/new", {"type": "cash", "amount": "10"}, None


def _refund_line(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Ren")
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=15000).id])
    line = ledger.pay(bill.id, "card", 5000)
    return f"/bills/{bill.id}/lines/{line.id}/refund", {"how": "custom", "amount": "10"}, None


def _remove_line(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Rem")
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=15000).id])
    line = ledger.pay(bill.id, "cash", 5000)
    return f"/bills/{bill.id}/lines/{line.id}/remove", {}, None


def _add_credit(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Cred")
    return f"/clients/{c.id}/billing/credits/new", {"amount": "5", "reason": "courtesy"}, None


def _remove_credit(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Lot")
    lot = ledger.manual_credit(c.id, 2000)
    return f"/clients/{c.id}/billing/credits/{lot.id}/remove", {"amount": "1"}, None


def _insurance_payment(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Ins", billing="insurance", copay=3000)
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=10000).id])
    item = bill.items[0].id
    fields = {"item_id": item, "payer": "BRHP1", "paid": "70", "patient_responsibility": "30"}
    return f"/bills/{bill.id}/insurance-payments/new", fields, None


def _era_upload(ledger: Ledger) -> tuple[str, dict[str, str], dict[str, tuple[str, bytes]]]:
    c = ledger.client("Role Era", billing="insurance", copay=3000)
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=15000).id])
    ledger.set_claim_ref(bill.items[0].id, f"CLM-R{uuid.uuid4().hex[:8].upper()}")
    return "/era-imports/new", {}, {"file": ("remit.835", (FIXTURES / "unmatched_claim.835").read_bytes())}


def _sell_package(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Pack")
    return f"/clients/{c.id}/packages/new", {"name": "Two", "sessions": "2", "price": "200", "type": "cash"}, None


def _new_household(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    c = ledger.client("Role Home")
    return f"/clients/{c.id}/household/new", {"name": "The Homes", "share_credit": "on"}, None


def _add_member(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    household = ledger.household([ledger.client("Role Mom").id])
    return f"/households/{household.id}/members/new", {"client_id": ledger.client("Role Kid").id}, None


def _settings(ledger: Ledger) -> tuple[str, dict[str, str], None]:
    return "/settings", {"auto_apply_credit": "on"}, None


FORMS: dict[str, Form] = {
    "new client": _new_client,
    "add appointment": _new_appointment,
    "record payment": _prepayment,
    "set status": _status,
    "create bill": _new_bill,
    "add payment": _bill_payment,
    "refund": _refund_line,
    "remove": _remove_line,
    "add credit": _add_credit,
    "remove credit": _remove_credit,
    "post insurance payment": _insurance_payment,
    "import 835": _era_upload,
    "settings": _settings,
    "sell package": _sell_package,
    "add to household": _new_household,
    "add member": _add_member,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("form", list(FORMS))
def test_each_web_form_is_done_for_staff_who_may_and_refused_for_a_clinician(
    form: str, role: str, owner: Api, db: Database, http: TestClient
) -> None:
    desk = signed_in(owner, db, http, role)
    path, fields, files = FORMS[form](desk.ledger)
    before = _counts(desk.ledger)

    status = desk.post(path, fields, files)

    if role == "clinician":
        assert status == 403, (form, status)
        assert "The clinician role may not" in desk.last_text
        assert _counts(desk.ledger) == before  # no journal entry, no audit event: nothing changed
    else:
        assert status == 303, (form, role, status, desk.last_text[-400:])
        assert _counts(desk.ledger)[1] > before[1]  # the action happened, and is on the audit trail
    assert desk.ledger.verify() == []


def test_a_clinician_sees_no_control_that_moves_money(owner: Api, db: Database, http: TestClient) -> None:
    ledger = Ledger(db, Ctx(practice_id=owner.practice_id))
    c = ledger.client("Role Vera")
    ledger.manual_credit(c.id, 2000)
    bill = ledger.bill(c.id, [ledger.appointment(c.id, fee=15000).id], apply_credit=False)
    ledger.pay(bill.id, "cash", 5000)
    controls = {
        f"/clients/{c.id}": ["New bill", "Add appointment", "Record payment", "Set status", "Sell package"],
        f"/bills/{bill.id}": ["Add payment", 'aria-label="More actions"'],
        f"/clients/{c.id}/billing": ["Add credit", "Remove credit"],
        "/clients": ["New client"],
    }
    clinician, biller = signed_in(owner, db, http, "clinician"), signed_in(owner, db, http, "biller")
    for path, words in controls.items():
        as_clinician, as_biller = clinician.page(path), biller.page(path)
        for word in words:
            assert word in as_biller, (path, word)
            assert word not in as_clinician, (path, word)
        assert "Payment details" in clinician.page(f"/bills/{bill.id}")  # reading stays
