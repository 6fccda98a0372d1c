"""Every 4xx speaks ``{"error": {"code", "message"}}``; a 500 never shows a trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clientledger.db import Database
from clientledger.main import create_app
from tests.api.conftest import API, Api, new_owner
from tests.factories import Ledger, a_void_bill, an_insured_bill
from tests.support.processors import StripeLike


def test_unknown_route_and_unknown_id_are_404_in_the_error_shape(owner: Api) -> None:
    r = owner.http.get("/api/v1/no-such-thing", headers=owner.headers())
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    err = owner.get("/bills/bill_does_not_exist", expect=404)
    assert err["error"]["code"] == "not_found" and "bill_does_not_exist" in err["error"]["message"]


def test_wrong_method_is_405_in_the_error_shape(owner: Api) -> None:
    r = owner.http.put(f"{API}/bills", headers=owner.headers(), json={})
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in r.headers["allow"]


def test_amounts_must_be_positive_integer_cents(owner: Api) -> None:
    client = owner.client()
    for amount in [10.0, 10.5, "1000", -100, 0, True, None, 1e3, [100], {"cents": 100}]:
        r = owner.http.post(
            f"{API}/clients/{client['id']}/payments", json={"type": "cash", "amount": amount}, headers=owner.headers()
        )
        assert r.status_code == 422, amount
        error = r.json()["error"]
        assert error["code"] == "validation_error"
        assert "amount" in error["message"]
    assert owner.get(f"/clients/{client['id']}/credits")["lots"] == []


def test_a_fraction_written_as_text_in_raw_json_is_refused(owner: Api) -> None:
    client = owner.client()
    r = owner.http.post(
        f"{API}/clients/{client['id']}/payments",
        content=b'{"type": "cash", "amount": 3000.00}',
        headers={**owner.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_malformed_json_and_unknown_fields_are_validation_errors(owner: Api) -> None:
    r = owner.http.post(
        f"{API}/clients", content=b"{not json", headers={**owner.headers(), "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    extra = owner.post("/clients", {"name": "X", "nickname": "x"}, expect=422)
    assert "nickname" in extra["error"]["message"]


def test_list_limit_is_bounded(owner: Api) -> None:
    assert owner.get("/clients?limit=201", expect=422)["error"]["code"] == "validation_error"
    assert owner.get("/clients?limit=200")["data"] == []


def test_request_id_is_echoed_and_stamped_on_the_audit_trail(owner: Api) -> None:
    r = owner.http.post(
        f"{API}/clients", json={"name": "Traced"}, headers={**owner.headers(), "X-Request-Id": "req-abc-123"}
    )
    assert r.status_code == 201 and r.headers["x-request-id"] == "req-abc-123"
    [event] = owner.get(f"/audit?object_id={r.json()['id']}")["data"]
    assert event["request_id"] == "req-abc-123" and event["action"] == "client.created"
    generated = owner.http.get(f"{API}/healthz")
    assert len(generated.headers["x-request-id"]) >= 16


def test_an_unexpected_failure_is_a_500_without_a_trace(db: Database, database_url: str) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals at /srv/db password=hunter2")

    app = create_app(database_url)
    app.add_api_route("/api/v1/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        token = new_owner(client, db).token
        r = client.get("/api/v1/explode", headers={"X-Request-Id": "req-boom", "Authorization": f"Bearer {token}"})
    app.state.runner.db.dispose()
    assert r.status_code == 500
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.json()["error"]["code"] == "internal_error"
    assert "req-boom" in r.json()["error"]["message"]
    assert "hunter2" not in r.text and "Traceback" not in r.text


def test_renaming_the_practice_to_another_practices_name_is_a_conflict(owner: Api, db: Database) -> None:
    other = new_owner(owner.http, db)
    taken = other.get("/practice")["name"]
    err = owner.call("PATCH", "/practice", {"name": taken}, expect=409)
    assert err["error"]["code"] == "conflict"
    assert owner.call("PATCH", "/practice", {"name": taken + " West"}, expect=200)["name"] == taken + " West"


# -- every error code the contract names, provoked through the API ---------------------------------

Provoke = Callable[[Api, Ledger], httpx.Response]


def _post(api: Api, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
    r: httpx.Response = api.http.post(API + path, json=body, headers=api.headers(key))
    return r


def _delete(api: Api, path: str) -> httpx.Response:
    r: httpx.Response = api.http.delete(API + path, headers=api.headers())
    return r


def _bill(api: Api, fee: int = 15000, **fields: Any) -> tuple[str, str]:
    client = api.client()
    return client["id"], api.session_bill(client["id"], fee, **fields)["id"]


def _insufficient_credit(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill_id = _bill(api, apply_available_credit=False)
    return _post(api, f"/bills/{bill_id}/payments", {"type": "client_credit", "amount": 1000})


def _exceeds_balance_due(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill_id = _bill(api, apply_available_credit=False)
    return _post(api, f"/bills/{bill_id}/payments", {"type": "client_credit", "amount": 20000})


def _exceeds_refundable(api: Api, ledger: Ledger) -> httpx.Response:
    payment = api.prepay(api.client()["id"], "cash", 1000)
    return _post(api, f"/payments/{payment['id']}/refunds", {"amount": 2000})


def _idempotency_key_reused(api: Api, ledger: Ledger) -> httpx.Response:
    client_id = api.client()["id"]
    assert _post(api, f"/clients/{client_id}/payments", {"type": "cash", "amount": 100}, "k-1").status_code == 201
    return _post(api, f"/clients/{client_id}/payments", {"type": "cash", "amount": 200}, "k-1")


def _use_refund(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill_id = _bill(api)
    line = api.pay(bill_id, "card", 1000)
    return _delete(api, f"/bills/{bill_id}/lines/{line['id']}")


def _credit_already_used(api: Api, ledger: Ledger) -> httpx.Response:
    client_id, first = _bill(api, apply_available_credit=False)
    line = api.pay(first, "cash", 20000)  # 5000 of it becomes credit
    api.session_bill(client_id, apply_available_credit=True)  # which this bill spends
    return _delete(api, f"/bills/{first}/lines/{line['id']}")


def _insurance_paid(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill = an_insured_bill(ledger, copay_paid_by="card")
    item = bill.items[0]
    eob = {"item_id": item.id, "payer": "BRHP1", "paid": 7000, "patient_responsibility": 3000}
    api.post(f"/bills/{bill.id}/insurance-payments", {**eob, "adjustments": []}, expect=200)
    return _post(api, f"/appointments/{item.appointment_id}/status", {"status": "canceled"})


def _bill_void(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill = a_void_bill(ledger)
    return _post(api, f"/bills/{bill.id}/payments", {"type": "cash", "amount": 1000})


def _payment_deleted(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill_id = _bill(api)
    line = api.pay(bill_id, "cash", 1000)
    api.call("DELETE", f"/bills/{bill_id}/lines/{line['id']}", expect=204)
    return _post(api, f"/payments/{line['payment_id']}/refunds", {"amount": 100})


def _card_declined(api: Api, ledger: Ledger) -> httpx.Response:
    __, bill_id = _bill(api)
    return _post(
        api, f"/bills/{bill_id}/payments", {"type": "card", "amount": 1000, "payment_method": "pm_card_chargeDeclined"}
    )


ERROR_CODES: dict[str, tuple[Provoke, int]] = {
    "validation_error": (
        lambda a, _: _post(a, f"/clients/{a.client()['id']}/payments", {"type": "cash", "amount": 1.0}),
        422,
    ),
    "not_found": (lambda a, _: a.http.get(f"{API}/bills/bill_nope", headers=a.headers()), 404),
    "unauthorized": (lambda a, _: a.http.get(f"{API}/clients"), 401),
    "forbidden": (lambda a, _: _post(a.login_as("clinician"), "/clients", {"name": "Ada"}), 403),
    "insufficient_credit": (_insufficient_credit, 422),
    "exceeds_balance_due": (_exceeds_balance_due, 422),
    "exceeds_refundable": (_exceeds_refundable, 422),
    "idempotency_key_reused": (_idempotency_key_reused, 409),
    "use_refund": (_use_refund, 409),
    "credit_already_used": (_credit_already_used, 409),
    "insurance_paid": (_insurance_paid, 409),
    "bill_void": (_bill_void, 409),
    "payment_deleted": (_payment_deleted, 409),
    "card_declined": (_card_declined, 402),
}


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_every_error_code_of_the_contract_is_what_the_api_answers(owner: Api, ledger: Ledger, code: str) -> None:
    provoke, status = ERROR_CODES[code]

    r = provoke(owner, ledger)

    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert r.json()["error"]["message"]


def test_a_card_payment_with_no_card_on_file_is_422_no_card_on_file(
    owner: Api, ledger: Ledger, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = StripeLike()  # Stripe charges only a client's own cards; this client has none
    monkeypatch.setattr(app.state.runner, "processor", processor)
    client_id, bill_id = _bill(owner)

    on_bill = _post(owner, f"/bills/{bill_id}/payments", {"type": "card", "amount": 1000})
    prepaid = _post(owner, f"/clients/{client_id}/payments", {"type": "card", "amount": 1000})

    for r in (on_bill, prepaid):
        assert (r.status_code, r.json()["error"]["code"]) == (422, "no_card_on_file"), r.text
    assert processor.charges == []
    assert owner.get(f"/bills/{bill_id}")["lines"] == [] and owner.credit_balance(client_id) == 0
