"""Every 4xx speaks ``{"error": {"code", "message"}}``; a 500 never shows a trace."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clientledger.db import Database
from clientledger.main import create_app
from tests.api.conftest import API, Api, new_owner


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
