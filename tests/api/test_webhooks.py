"""Webhook endpoints over the API: owner only, https on a public address, filters that name real
event types, a secret shown once and never stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from clientledger.db import Database
from clientledger.kit.secrets import endpoint_secret
from clientledger.main import create_app
from clientledger.models import idempotency_keys, webhook_endpoints
from tests.api.conftest import API, Api, new_owner

PUBLIC = "https://93.184.216.34/hook"

# A name a test resolver knows: one public, one rebound to the cloud's metadata address.
NAMES = {"hooks.example.com": ["93.184.216.34"], "rebound.example.com": ["93.184.216.34", "169.254.169.254"]}


def _resolve(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError(f"unknown name {host!r}")
    return NAMES[host]


@pytest.fixture(scope="module")
def named_http(db: Database, database_url: str) -> Iterator[TestClient]:
    """The app with a resolver that knows ``NAMES``, so no test looks a name up for real."""
    app: FastAPI = create_app(database_url, resolver=_resolve)
    with TestClient(app) as client:
        yield client
    app.state.runner.db.dispose()


def _create(api: Api, body: object, *, key: str | None = None) -> tuple[int, dict[str, Any]]:
    r = api.http.post(f"{API}/webhook-endpoints", json=body, headers=api.headers(key))
    return r.status_code, r.json()


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(owner: Api, db: Database) -> None:
    status, created = _create(owner, {"url": PUBLIC, "events": ["credit.*", "payment.created"]})

    assert status == 201, created
    assert created["url"] == PUBLIC and created["events"] == ["credit.*", "payment.created"]
    assert created["secret"] == endpoint_secret(owner.practice_id, str(created["id"]))
    assert str(created["secret"]).startswith("whsec_")
    listed = owner.get("/webhook-endpoints")["data"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(webhook_endpoints).where(webhook_endpoints.c.practice_id == owner.practice_id)
        ).one()
    assert str(created["secret"]) not in " ".join(str(v) for v in stored)


def test_events_default_to_all_and_a_name_that_matches_no_type_is_422(owner: Api) -> None:
    assert _create(owner, {"url": PUBLIC})[1]["events"] == ["*"]
    for events in (["credit.aplied"], ["invoice.*"], [], ["credit.applied; drop"]):
        status, body = _create(owner, {"url": PUBLIC, "events": events})
        assert status == 422, (events, body)
        assert body["error"]["code"] == "validation_error"
    assert len(owner.get("/webhook-endpoints")["data"]) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # not https
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://224.0.0.1/hook",
        "https://user:pass@93.184.216.34/hook",
        "ftp://93.184.216.34/hook",
        "https:///hook",
        "not a url",
    ],
)
def test_a_url_that_is_not_https_on_a_public_address_is_422(owner: Api, url: str) -> None:
    status, body = _create(owner, {"url": url})
    assert status == 422, body
    assert body["error"]["code"] == "validation_error"
    assert owner.get("/webhook-endpoints")["data"] == []


def test_a_name_is_checked_by_the_addresses_it_resolves_to(named_http: TestClient, db: Database) -> None:
    owner = new_owner(named_http, db)
    assert _create(owner, {"url": "https://hooks.example.com/in"})[0] == 201
    status, body = _create(owner, {"url": "https://rebound.example.com/in"})
    assert status == 422 and "169.254.169.254" in str(body["error"]["message"])
    status, body = _create(owner, {"url": "https://nowhere.example.com/in"})
    assert status == 422 and "cannot be found" in str(body["error"]["message"])


def test_private_addresses_and_http_are_allowed_when_the_server_says_so(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", "true")
    for url in ("http://127.0.0.1:9/hook", "https://10.1.2.3/hook", "http://[::1]:8080/x"):
        assert _create(owner, {"url": url})[0] == 201, url


def test_biller_and_clinician_may_not_touch_endpoints(owner: Api) -> None:
    endpoint_id = _create(owner, {"url": PUBLIC})[1]["id"]
    for role in ("biller", "clinician"):
        staff = owner.login_as(role)
        assert _create(staff, {"url": PUBLIC})[0] == 403
        assert staff.get("/webhook-endpoints", expect=403)["error"]["code"] == "forbidden"
        assert staff.call("DELETE", f"/webhook-endpoints/{endpoint_id}", expect=403)["error"]["code"] == "forbidden"
    assert len(owner.get("/webhook-endpoints")["data"]) == 1


def test_delete_removes_the_endpoint_and_another_practices_is_404(owner: Api, db: Database) -> None:
    endpoint_id = _create(owner, {"url": PUBLIC})[1]["id"]
    intruder = new_owner(owner.http, db)

    assert intruder.call("DELETE", f"/webhook-endpoints/{endpoint_id}", expect=404)["error"]["code"] == "not_found"
    assert owner.call("DELETE", f"/webhook-endpoints/{endpoint_id}", key="del-1", expect=204) is None
    assert owner.call("DELETE", f"/webhook-endpoints/{endpoint_id}", key="del-1", expect=204) is None  # replayed
    assert owner.call("DELETE", f"/webhook-endpoints/{endpoint_id}", expect=404)["error"]["code"] == "not_found"
    assert owner.get("/webhook-endpoints")["data"] == []
    actions = [e["action"] for e in owner.get(f"/audit?object_id={endpoint_id}")["data"]]
    assert actions == ["webhook_endpoint.deleted", "webhook_endpoint.created"]


def test_a_retried_creation_makes_one_endpoint_and_shows_the_secret_again_without_storing_it(
    owner: Api, db: Database
) -> None:
    first = _create(owner, {"url": PUBLIC}, key="make-hook")
    again = _create(owner, {"url": PUBLIC}, key="make-hook")

    assert first == (201, again[1]) and again[0] == 201
    assert len(owner.get("/webhook-endpoints")["data"]) == 1
    assert _create(owner, {"url": PUBLIC + "2"}, key="make-hook")[0] == 409
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(idempotency_keys.c.response_body).where(
                idempotency_keys.c.practice_id == owner.practice_id, idempotency_keys.c.key == "api:make-hook"
            )
        ).scalar_one()
    assert first[1]["id"] in stored and str(first[1]["secret"]) not in stored
