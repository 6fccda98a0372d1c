"""Strict input: booleans are JSON true/false, text carries no NUL, days are bounded ISO dates.

A refused request is 422 ``validation_error`` and changes nothing (no money moves, nothing is
stored), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems
from tests.factories import Ledger, an_insured_bill
from tests.support.era_generate import generate_835, synthetic_claims

BAD_BOOLEANS: list[Any] = ["yes", "no", "true", "false", 0, 1, "off", "on", "", [], {}]
NUL = "a\x00b"


def _entries(api: Api) -> list[Any]:
    return list(api.get("/reports/journal?limit=200")["data"])


def _audit(api: Api) -> list[Any]:
    return list(api.get("/audit?limit=200")["data"])


def _refused(api: Api, method: str, path: str, body: Any) -> dict[str, Any]:
    r = api.http.request(method, API + path, json=body, headers=api.headers())
    assert r.status_code == 422, (path, body, r.status_code, r.text)
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == "validation_error", error
    return error


# -- booleans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_BOOLEANS, ids=repr)
def test_deduct_from_credit_balance_takes_only_true_or_false(owner: Api, value: Any) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 5000)
    bill = owner.session_bill(client["id"], apply_available_credit=False)
    before = _entries(owner)

    body = {"type": "client_credit", "amount": 1000, "deduct_from_credit_balance": value}
    error = _refused(owner, "POST", f"/bills/{bill['id']}/payments", body)

    assert "deduct_from_credit_balance" in error["message"]
    after = owner.get(f"/bills/{bill['id']}")
    assert (after["balance_due"], after["lines"]) == (15000, [])
    assert owner.credit_balance(client["id"]) == 5000
    assert _entries(owner) == before


@pytest.mark.parametrize("value", BAD_BOOLEANS, ids=repr)
def test_apply_available_credit_takes_only_true_or_false(owner: Api, value: Any) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 5000)
    appointment = owner.appointment(client["id"])
    before = _entries(owner)

    body = {"client_id": client["id"], "appointment_ids": [appointment["id"]], "apply_available_credit": value}
    error = _refused(owner, "POST", "/bills", body)

    assert "apply_available_credit" in error["message"]
    assert owner.get(f"/clients/{client['id']}/bills")["data"] == []
    assert owner.credit_balance(client["id"]) == 5000
    assert _entries(owner) == before


@pytest.mark.parametrize("value", BAD_BOOLEANS, ids=repr)
def test_auto_apply_credit_takes_only_true_or_false(owner: Api, value: Any) -> None:
    error = _refused(owner, "PATCH", "/practice", {"auto_apply_credit": value})

    assert "auto_apply_credit" in error["message"]
    assert owner.get("/practice")["auto_apply_credit"] is True


def test_real_booleans_still_work(owner: Api) -> None:
    assert owner.call("PATCH", "/practice", {"auto_apply_credit": False}, expect=200)["auto_apply_credit"] is False
    client = owner.client()
    owner.prepay(client["id"], "cash", 5000)
    bill = owner.session_bill(client["id"], apply_available_credit=False)
    line = owner.pay(bill["id"], "client_credit", 1000, deduct_from_credit_balance=False)
    assert line["deduct_from_credit_balance"] is False and owner.credit_balance(client["id"]) == 5000


# -- NUL in text ---------------------------------------------------------------------------------


def _nul_cases(owner: Api, ledger: Ledger) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(field, method, path, body) for every text field of every endpoint that stores what it is sent."""
    client = owner.client("Nul Client")
    owner.prepay(client["id"], "cash", 5000)
    lot = owner.post(f"/clients/{client['id']}/credits", {"amount": 1000, "reason": "courtesy"}, expect=201)
    cash = owner.prepay(client["id"], "cash", 2000)
    appointment = owner.appointment(client["id"])
    bill = owner.session_bill(client["id"], apply_available_credit=False)
    insured = owner.get(f"/bills/{an_insured_bill(ledger, copay_paid_by='card')[1].id}")
    item = insured["items"][0]
    eob = {"item_id": item["id"], "payer": "BRHP1", "paid": 8000, "patient_responsibility": 2000}
    pr = [{"group": "PR", "reason": "2", "amount": 2000}]
    c = client["id"]
    return [
        ("name", "POST", "/clients", {"name": NUL}),
        ("email", "POST", "/clients", {"name": "Ada", "email": f"ada{NUL}@example.com"}),
        ("client_id", "POST", "/appointments", {"client_id": NUL, "date": "2026-11-02", "service_code": "1", "fee": 1}),
        (
            "service_code",
            "POST",
            "/appointments",
            {"client_id": c, "date": "2026-11-02", "service_code": NUL, "fee": 1},
        ),
        ("client_id", "POST", "/bills", {"client_id": NUL, "appointment_ids": [appointment["id"]]}),
        ("appointment_ids", "POST", "/bills", {"client_id": c, "appointment_ids": [appointment["id"] + NUL]}),
        (
            "payment_method",
            "POST",
            f"/bills/{bill['id']}/payments",
            {"type": "card", "amount": 100, "payment_method": NUL},
        ),
        ("memo", "POST", f"/clients/{c}/payments", {"type": "cash", "amount": 100, "memo": NUL}),
        ("payment_method", "POST", f"/clients/{c}/payments", {"type": "card", "amount": 100, "payment_method": NUL}),
        ("reason", "POST", f"/payments/{cash['id']}/refunds", {"amount": 100, "reason": NUL}),
        ("note", "POST", f"/clients/{c}/credits", {"amount": 100, "reason": "courtesy", "note": NUL}),
        ("note", "POST", f"/clients/{c}/credits/{lot['id']}/remove", {"amount": 100, "note": NUL}),
        ("item_id", "POST", f"/bills/{insured['id']}/insurance-payments", {**eob, "item_id": NUL, "adjustments": pr}),
        ("payer", "POST", f"/bills/{insured['id']}/insurance-payments", {**eob, "payer": NUL, "adjustments": pr}),
        (
            "claim_ref",
            "POST",
            f"/bills/{insured['id']}/insurance-payments",
            {**eob, "claim_ref": NUL, "adjustments": pr},
        ),
        (
            "reason",
            "POST",
            f"/bills/{insured['id']}/insurance-payments",
            {**eob, "adjustments": [{"group": "PR", "reason": "2\x00", "amount": 2000}]},
        ),
        ("name", "PATCH", "/practice", {"name": NUL}),
        ("email", "POST", "/users", {"email": f"a{NUL}@example.com", "password": "long-enough-1", "role": "biller"}),
        ("password", "POST", "/users", {"email": "nul@example.com", "password": f"long-enough{NUL}", "role": "biller"}),
    ]


def test_a_nul_character_in_any_text_field_is_422_and_stores_nothing(owner: Api, ledger: Ledger, db: Database) -> None:
    cases = _nul_cases(owner, ledger)
    practice = owner.get("/practice")
    entries, events = _entries(owner), _audit(owner)

    for field, method, path, body in cases:
        error = _refused(owner, method, path, body)
        # A field with a pattern refuses it by the pattern; every other says why.
        assert field in error["message"], (field, path, error)
        assert "NUL" in error["message"] or "pattern" in error["message"], (field, path, error)

    assert owner.get("/practice") == practice
    assert _entries(owner) == entries
    assert _audit(owner) == events
    assert [c["name"] for c in owner.get("/clients?limit=200")["data"]].count("Nul Client") == 1
    assert ledger_problems(db) == []


def test_a_nul_character_in_the_login_is_422_not_a_server_error(owner: Api) -> None:
    for body in ({"email": f"{owner.email}\x00", "password": "owner-pass-1"}, {"email": owner.email, "password": NUL}):
        r = owner.http.post(f"{API}/auth/tokens", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text


def test_control_characters_in_a_name_are_refused_but_a_note_keeps_its_lines(owner: Api) -> None:
    _refused(owner, "POST", "/clients", {"name": "Ada\nLovelace"})
    _refused(owner, "POST", "/clients", {"name": "Ada\x1b[31m"})
    client = owner.client()
    lot = owner.post(
        f"/clients/{client['id']}/credits", {"amount": 100, "reason": "other", "note": "one\ntwo\tthree"}, expect=201
    )
    assert lot["note"] == "one\ntwo\tthree"


def test_an_835_with_a_nul_character_is_refused_without_a_server_error(owner: Api, ledger: Ledger) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, fee=15000, copay_paid_by='card')[1].id}")
    claims = [next(synthetic_claims(1))]
    content = generate_835(claims, trace="EFT-NUL-1").replace("EFT-NUL-1", "EFT-\x00-1").encode()

    r = owner.http.post(
        f"{API}/era-imports", files={"file": ("remit.835", content, "application/edi-x12")}, headers=owner.headers()
    )

    assert r.status_code < 500, r.text
    assert owner.get(f"/bills/{bill['id']}")["items"][0]["insurance_paid"] == 0


# -- days ----------------------------------------------------------------------------------------

BAD_DAYS = [
    "1899-12-31",
    "9999-12-31",
    "10000-01-01",
    "0001-01-01",
    "2026-13-01",
    "2026-02-30",
    "2026-1-5",
    "20260101",
    "1700000000",
    "1704067200",
    "2026-01-05T00:00:00",
    "2026-01-05T00:00:00Z",
    "2026-01-05 ",
    "",
    "today",
]


@pytest.mark.parametrize("day", BAD_DAYS)
@pytest.mark.parametrize(
    ("path", "name"), [("/reports/credit-balances", "as_of"), ("/reports/journal", "from"), ("/reports/journal", "to")]
)
def test_a_day_out_of_bounds_or_not_yyyy_mm_dd_is_422_in_a_query(owner: Api, path: str, name: str, day: str) -> None:
    r = owner.http.get(API + path, params={name: day}, headers=owner.headers())

    assert r.status_code == 422, (path, name, day, r.text)
    error = r.json()["error"]
    assert error["code"] == "validation_error" and name in error["message"]


def test_the_journal_csv_refuses_a_bad_day_too(owner: Api) -> None:
    r = owner.http.get(f"{API}/reports/journal", params={"to": "9999-12-31"}, headers=owner.headers(Accept="text/csv"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("day", ["1900-01-01", "9999-12-30"])
def test_the_first_and_last_days_are_answered(owner: Api, day: str) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 2500)

    balances = owner.get(f"/reports/credit-balances?as_of={day}")
    journal = owner.get(f"/reports/journal?from={day}&to={day}")
    everything = owner.get("/reports/journal?from=1900-01-01&to=9999-12-30")
    csv = owner.http.get(f"{API}/reports/journal?to={day}", headers=owner.headers(Accept="text/csv"))

    assert balances["as_of"] == day
    assert balances["total"] == (2500 if day == "9999-12-30" else 0)
    assert journal["data"] == []
    assert len(everything["data"]) == 1
    assert csv.status_code == 200


@pytest.mark.parametrize(
    "date", [*BAD_DAYS, 1700000000, 1704067200, 20260101, 2026.0, None, True, ["2026-01-05"], {"day": 1}]
)
def test_an_appointment_date_out_of_bounds_or_not_yyyy_mm_dd_is_422(owner: Api, date: Any) -> None:
    client = owner.client()
    body = {"client_id": client["id"], "date": date, "service_code": "90834", "fee": 15000}

    error = _refused(owner, "POST", "/appointments", body)

    assert "date" in error["message"]
    assert owner.get(f"/clients/{client['id']}/appointments")["data"] == []


@pytest.mark.parametrize("date", ["1900-01-01", "9999-12-30"])
def test_an_appointment_on_the_first_or_last_day_is_taken(owner: Api, date: str) -> None:
    client = owner.client()
    assert owner.appointment(client["id"], date=date)["date"] == date
