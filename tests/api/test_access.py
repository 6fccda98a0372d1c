"""Who may call what: each role on each endpoint, and another practice's ids are always 404."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI

from clientledger.db import Database
from tests.api.conftest import API, Api, new_owner

READ, WRITE, OWNER_ONLY = "read", "write", "owner"

# (method, path, body, who may call it, status on success); {names} are filled from ``_world``.
ENDPOINTS: list[tuple[str, str, Any, str, int]] = [
    ("GET", "/practice", None, READ, 200),
    ("PATCH", "/practice", {"auto_apply_credit": True}, WRITE, 200),
    (
        "POST",
        "/users",
        {"email": "{uniq}@example.com", "password": "staff-pass-1", "role": "clinician"},
        OWNER_ONLY,
        201,
    ),
    ("POST", "/clients", {"name": "Matrix Client"}, WRITE, 201),
    ("GET", "/clients", None, READ, 200),
    ("GET", "/clients/{client}", None, READ, 200),
    ("GET", "/clients/{client}/appointments", None, READ, 200),
    ("GET", "/clients/{client}/bills", None, READ, 200),
    (
        "POST",
        "/appointments",
        {"client_id": "{client}", "date": "2026-11-03", "service_code": "90837", "fee": 100},
        WRITE,
        201,
    ),
    ("GET", "/appointments/{appt}", None, READ, 200),
    ("POST", "/appointments/{appt}/status", {"status": "attended"}, WRITE, 200),
    (
        "POST",
        "/bills",
        {"client_id": "{client}", "appointment_ids": ["{unbilled}"], "apply_available_credit": False},
        WRITE,
        201,
    ),
    ("GET", "/bills/{bill}", None, READ, 200),
    ("POST", "/bills/{bill}/payments", {"type": "check", "amount": 100}, WRITE, 201),
    ("POST", "/bills/{bill}/lines/{line}/refund", {"amount": 1}, WRITE, 200),
    ("DELETE", "/bills/{bill}/lines/{line2}", None, WRITE, 204),
    ("POST", "/bills/{bill}/apply-credit", {"amount": 1}, WRITE, 201),
    ("POST", "/clients/{client}/payments", {"type": "cash", "amount": 100}, WRITE, 201),
    ("GET", "/payments/{payment}", None, READ, 200),
    ("POST", "/payments/{payment}/refunds", {"amount": 1}, WRITE, 201),
    ("GET", "/clients/{client}/credits", None, READ, 200),
    ("POST", "/clients/{client}/credits", {"amount": 100, "reason": "courtesy"}, WRITE, 201),
    ("POST", "/clients/{client}/credits/{lot}/remove", {"amount": 1}, WRITE, 200),
    ("GET", "/clients/{client}/cards", None, READ, 200),
    ("POST", "/clients/{client}/cards", {"payment_method": "pm_card_mastercard"}, WRITE, 201),
    ("DELETE", "/clients/{client}/cards/{card}", None, WRITE, 204),
    (
        "POST",
        "/clients/{client}/packages",
        {"name": "Two sessions", "sessions": 2, "price": 200, "payment": {"type": "cash"}},
        WRITE,
        201,
    ),
    ("GET", "/clients/{client}/packages", None, READ, 200),
    ("GET", "/packages/{package}", None, READ, 200),
    ("POST", "/households", {"name": "Matrix family", "client_ids": ["{free}"], "share_credit": True}, WRITE, 201),
    ("GET", "/households/{household}", None, READ, 200),
    ("POST", "/households/{household}/members", {"client_id": "{free2}"}, WRITE, 201),
    ("GET", "/reports/credit-balances", None, READ, 200),
    ("GET", "/reports/journal", None, READ, 200),
    ("GET", "/clients/{client}/statement", None, READ, 200),
    ("GET", "/reports/aging", None, READ, 200),
    ("GET", "/audit", None, READ, 200),
    ("GET", "/events", None, READ, 200),
    ("GET", "/events/{event}", None, READ, 200),
    ("POST", "/webhook-endpoints", {"url": "https://93.184.216.34/hook", "events": ["credit.*"]}, OWNER_ONLY, 201),
    ("GET", "/webhook-endpoints", None, OWNER_ONLY, 200),
    ("DELETE", "/webhook-endpoints/{endpoint}", None, OWNER_ONLY, 204),
]
# Checked in test_auth.py: logging in needs no token, and logging out revokes the caller's own.
NOT_IN_MATRIX = {("GET", "/api/v1/healthz"), ("POST", "/api/v1/auth/tokens"), ("DELETE", "/api/v1/auth/tokens/current")}
# Checked in test_insurance_api.py: an 835 upload is multipart, and an insurance payment needs an insured item.
NOT_IN_MATRIX |= {
    ("POST", "/api/v1/bills/{bill_id}/insurance-payments"),
    ("POST", "/api/v1/era-imports"),
    ("GET", "/api/v1/era-imports/{import_id}"),
}
# Checked in test_stripe_webhooks.py: Stripe's events carry no bearer token (their signature is checked) and
# belong to no role.
NOT_IN_MATRIX |= {("POST", "/api/v1/webhooks/stripe")}
# PDF files, printed once each where they are checked: test_documents_pdf.py (a clinician reads a receipt, a biller
# a superbill) and test_statement.py (another practice's are 404).
NOT_IN_MATRIX |= {("GET", "/api/v1/payments/{payment_id}/receipt"), ("GET", "/api/v1/clients/{client_id}/superbill")}


def _world(api: Api) -> dict[str, str]:
    """One of everything an endpoint can name, in ``api``'s practice."""
    client = api.client("World Client")
    appt = api.appointment(client["id"], 10000)
    bill = api.bill(client["id"], [appt["id"]])
    line = api.pay(bill["id"], "cash", 3000)
    line2 = api.pay(bill["id"], "check", 3000)
    payment = api.prepay(client["id"], "cash", 5000)
    lot = api.post(f"/clients/{client['id']}/credits", {"amount": 500, "reason": "other"}, expect=201)
    unbilled = api.appointment(client["id"], 10000)
    card = api.post(f"/clients/{client['id']}/cards", {"payment_method": "pm_card_visa"}, expect=201)
    event = api.get("/events?type=credit.created")["data"][0]
    endpoint = api.post("/webhook-endpoints", {"url": "https://93.184.216.34/world"}, expect=201)
    package = api.post(
        f"/clients/{client['id']}/packages",
        {"name": "World package", "sessions": 2, "price": 200, "payment": {"type": "cash"}},
        expect=201,
    )
    member = api.client("World Parent")
    household = api.post(
        "/households", {"name": "World", "client_ids": [member["id"]], "share_credit": True}, expect=201
    )
    return {
        "client": client["id"],
        "appt": appt["id"],
        "bill": bill["id"],
        "line": line["id"],
        "line2": line2["id"],
        "payment": payment["id"],
        "lot": lot["id"],
        "unbilled": unbilled["id"],
        "card": card["id"],
        "event": event["id"],
        "endpoint": endpoint["id"],
        "package": package["id"],
        "household": household["id"],
        "free": api.client("World Child")["id"],
        "free2": api.client("World Baby")["id"],
        "uniq": re.sub(r"\W", "", api.token[-12:]).lower(),
    }


def _fill(template: Any, world: dict[str, str]) -> Any:
    if template is None:
        return None
    text = json.dumps(template) if not isinstance(template, str) else template
    for name, value in world.items():
        text = text.replace("{" + name + "}", value)
    return text if isinstance(template, str) else json.loads(text)


def _call(api: Api, method: str, path: str, body: Any, world: dict[str, str]) -> tuple[int, str]:
    r = api.http.request(method, API + _fill(path, world), json=_fill(body, world), headers=api.headers())
    if r.status_code >= 400:
        assert set(r.json()) == {"error"}, r.text
    return r.status_code, r.text


def test_every_endpoint_is_in_the_role_matrix(app: FastAPI) -> None:
    served = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops if p.startswith(API)}
    listed = {(m, API + re.sub(r"\{\w+\}", "{}", p)) for m, p, *_ in ENDPOINTS}
    normalized = {(m, re.sub(r"\{\w+\}", "{}", p)) for m, p in served - NOT_IN_MATRIX}
    assert normalized == listed


def test_each_role_on_each_endpoint(owner: Api) -> None:
    roles = {"owner": owner, "biller": owner.login_as("biller"), "clinician": owner.login_as("clinician")}
    for role, api in roles.items():
        world = _world(owner)
        for method, path, body, who, ok in ENDPOINTS:
            allowed = who == READ or (who == WRITE and role != "clinician") or role == "owner"
            status, text = _call(api, method, path, body, world)
            expected = ok if allowed else 403
            assert status == expected, (role, method, path, status, text)


def test_another_practices_objects_are_404_on_every_endpoint_with_an_id(owner: Api, db: Database) -> None:
    world = _world(owner)
    before = owner.get(f"/clients/{world['client']}"), owner.get(f"/bills/{world['bill']}")
    intruder = new_owner(owner.http, db)
    checked = 0
    for method, path, body, _who, _ok in ENDPOINTS:
        names = set(re.findall(r"\{(\w+)\}", path + json.dumps(body)))
        if not names or "uniq" in names:
            continue
        status, text = _call(intruder, method, path, body, world)
        assert status == 404, (method, path, status, text)
        assert json.loads(text)["error"]["code"] == "not_found"
        checked += 1
    assert checked == 30
    assert (owner.get(f"/clients/{world['client']}"), owner.get(f"/bills/{world['bill']}")) == before
    assert owner.get(f"/audit?object_id={world['client']}")["data"]
    assert intruder.get(f"/audit?object_id={world['client']}")["data"] == []
