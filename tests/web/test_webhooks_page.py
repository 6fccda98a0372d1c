"""Settings > Webhooks: the owner adds an endpoint (its secret shown once), reads its delivery log and
deletes it; billers and clinicians are refused the page and its forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from clientledger.kit.secrets import endpoint_secret
from clientledger.webhooks.delivery import DeliveryWorker
from clientledger.webhooks.urls import UrlPolicy
from tests.api.conftest import Api
from tests.support.webhooks import Clock, add_event, receiving
from tests.web.desk import Desk, signed_in


def test_the_owner_adds_an_endpoint_sees_the_secret_once_and_reads_its_log(
    desk: Desk, owner: Api, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", "true")
    assert 'href="/settings/webhooks"' in desk.page("/settings")  # linked from the settings nav
    with receiving(fail_first=1) as receiver:
        status = desk.post("/settings/webhooks", {"url": receiver.url, "events": "credit.*, payment.created"})
        assert status == 200, desk.last_text
        [endpoint] = owner.get("/webhook-endpoints")["data"]
        secret = endpoint_secret(owner.practice_id, endpoint["id"])
        assert "Signing secret" in desk.last_text and secret in desk.last_text
        assert endpoint["events"] == ["credit.*", "payment.created"]

        event_id = add_event(db, owner.practice_id, "credit.applied")
        clock = Clock()
        worker = DeliveryWorker(db, policy=UrlPolicy(allow_private=True), clock=clock)
        worker.run_once(practices=[owner.practice_id])
        clock.advance(5)
        worker.run_once(practices=[owner.practice_id])

    page = desk.page("/settings/webhooks")
    assert secret not in page  # shown once, at creation only
    assert receiver.url in page and "credit.*, payment.created" in page
    assert "Delivery log" in page and event_id in page and "credit.applied" in page
    assert "HTTP 500" in page and "HTTP 200" in page and "delivered" in page


def test_a_refused_url_is_said_next_to_the_form_and_adds_nothing(desk: Desk, owner: Api) -> None:
    status = desk.post("/settings/webhooks", {"url": "http://127.0.0.1/hook", "events": ""})
    assert status == 422
    assert "https://" in desk.last_text and 'value="http://127.0.0.1/hook"' in desk.last_text
    status = desk.post("/settings/webhooks", {"url": "https://93.184.216.34/hook", "events": "credit.aplied"})
    assert status == 422 and "names no event type" in desk.last_text
    assert owner.get("/webhook-endpoints")["data"] == []


def test_the_owner_deletes_an_endpoint(desk: Desk, owner: Api) -> None:
    endpoint = owner.post("/webhook-endpoints", {"url": "https://93.184.216.34/del"}, expect=201)
    page = desk.page("/settings/webhooks")
    assert "Delete endpoint" in page and "https://93.184.216.34/del" in page

    assert desk.post(f"/settings/webhooks/{endpoint['id']}/delete", {}, follow=True) == 200
    assert "Endpoint deleted." in desk.last_text and "https://93.184.216.34/del" not in desk.last_text
    assert owner.get("/webhook-endpoints")["data"] == []


@pytest.mark.parametrize("role", ["biller", "clinician"])
def test_only_the_owner_may_see_or_change_webhooks(role: str, owner: Api, db: Database, http: TestClient) -> None:
    endpoint = owner.post("/webhook-endpoints", {"url": "https://93.184.216.34/own"}, expect=201)
    staff = signed_in(owner, db, http, role)

    assert staff.get("/settings/webhooks").status_code == 403
    assert 'href="/settings/webhooks"' not in staff.page("/settings")
    assert staff.post("/settings/webhooks", {"url": "https://93.184.216.34/x", "events": ""}) == 403
    assert re.search(rf"The {role} role may not manage webhook endpoints", staff.last_text)
    assert staff.post(f"/settings/webhooks/{endpoint['id']}/delete", {}) == 403
    assert [e["id"] for e in owner.get("/webhook-endpoints")["data"]] == [endpoint["id"]]
