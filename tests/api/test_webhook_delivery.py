"""Webhook delivery, end to end on loopback: events from the outbox reach a receiver signed, once it
answers 2xx, retried with the same id while it fails, across a restart, filtered by type, never to
a deleted endpoint, never twice at once by two workers. Time moves by the worker's clock, not by sleeping."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from clientledger.db import Database
from clientledger.models import webhook_deliveries
from clientledger.service_layer import Actor, Runner
from clientledger.webhooks.delivery import DeliveryWorker
from clientledger.webhooks.schemas import EndpointLog
from clientledger.webhooks.service import endpoint_logs
from clientledger.webhooks.urls import UrlPolicy
from tests.api.conftest import API, Api
from tests.support.webhooks import Clock, add_event, receiving, verify_signature

LOOPBACK = UrlPolicy(allow_private=True)


@pytest.fixture(autouse=True)
def private_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", "true")


def _endpoint(owner: Api, url: str, events: list[str] | None = None) -> tuple[str, str]:
    body: dict[str, Any] = {"url": url} if events is None else {"url": url, "events": events}
    r = owner.http.post(f"{API}/webhook-endpoints", json=body, headers=owner.headers())
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["secret"]


def _worker(db: Database, clock: Clock, policy: UrlPolicy = LOOPBACK) -> DeliveryWorker:
    return DeliveryWorker(db, policy=policy, clock=clock, timeout=5)


def _until_quiet(worker: DeliveryWorker, practice_id: str, clock: Clock, *, rounds: int = 20) -> None:
    """Passes, a minute apart by the worker's clock, until no delivery is pending."""
    for _ in range(rounds):
        worker.run_once(practices=[practice_id])
        if "pending" not in _statuses(worker.db, practice_id):
            return
        clock.advance(60)
    raise AssertionError(f"deliveries still pending after {rounds} passes")


def _logs(app_runner: Runner, practice_id: str) -> list[EndpointLog]:
    return app_runner.read(Actor(practice_id=practice_id, user_id=None, role="owner"), endpoint_logs)


def _statuses(db: Database, practice_id: str) -> list[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(webhook_deliveries.c.status).where(webhook_deliveries.c.practice_id == practice_id))
        return sorted(rows.scalars())


def test_a_failing_receiver_gets_the_event_once_it_recovers_signed_and_with_the_same_id(
    owner: Api, db: Database, app: Any
) -> None:
    clock = Clock()
    with receiving(fail_first=3) as receiver:
        _, secret = _endpoint(owner, receiver.url)
        data = {"client_id": "cli_1", "amount": 2500, "lot_id": "lot_1", "bill_id": "bill_1"}
        event_id = add_event(db, owner.practice_id, "credit.applied", data, credit_balance=7500)
        worker = _worker(db, clock)

        first = worker.run_once(practices=[owner.practice_id])
        assert (first.events, first.deliveries, first.failed) == (1, 1, 1)
        assert worker.run_once(practices=[owner.practice_id]).failed == 0  # not due again yet
        _until_quiet(worker, owner.practice_id, clock)

    assert receiver.event_ids() == [event_id] * 4
    assert len({h.body for h in receiver.hits}) == 1  # the same body on every attempt
    event = receiver.hits[-1].event
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == "credit.applied" and event["created_at"].endswith("Z")
    assert event["data"] == {**data, "credit_balance": 7500}
    for hit in receiver.hits:
        assert hit.headers["content-type"] == "application/json"
        assert hit.headers["clientledger-event-id"] == event_id
        stamp = int(hit.headers["clientledger-signature"].split(",")[0].removeprefix("t="))
        assert verify_signature(hit, secret, now=stamp + 5)
        assert not verify_signature(hit, secret, now=stamp + 3600)  # too old for a receiver
        assert not verify_signature(hit, secret.replace("whsec_", "whsec_x"), now=stamp)
    [log] = _logs(app.state.runner, owner.practice_id)
    assert [a.status_code for a in log.attempts] == [200, 500, 500, 500]  # newest first
    assert {a.attempts for a in log.attempts} == {4} and log.attempts[0].delivery_status == "delivered"
    assert log.attempts[0].next_attempt_at is None
    gaps = [
        (b.attempted_at - a.attempted_at).total_seconds() for a, b in zip(log.attempts[1:], log.attempts, strict=False)
    ]
    assert all(0 < g <= 60 for g in gaps)


def test_pending_deliveries_go_out_after_a_restart(owner: Api, database_url: str, db: Database) -> None:
    clock = Clock()
    with receiving(fail_first=1) as receiver:
        _endpoint(owner, receiver.url)
        event_id = add_event(db, owner.practice_id, "payment.created")
        before = Database(database_url)
        assert _worker(before, clock).run_once(practices=[owner.practice_id]).failed == 1
        before.dispose()  # the server stops...

        clock.advance(30)
        after = Database(database_url)  # ...and starts again: a new engine, a new worker
        try:
            report = _worker(after, clock).run_once(practices=[owner.practice_id])
        finally:
            after.dispose()

    assert report.delivered == 1
    assert receiver.event_ids() == [event_id, event_id]
    assert _statuses(db, owner.practice_id) == ["delivered"]


def test_filters_send_each_endpoint_only_the_types_it_asked_for(owner: Api, db: Database) -> None:
    clock = Clock()
    with receiving() as receiver:
        _endpoint(owner, receiver.url.replace("/hook", "/credit"), ["credit.*"])
        _endpoint(owner, receiver.url.replace("/hook", "/payments"), ["payment.created", "refund.*"])
        _endpoint(owner, receiver.url.replace("/hook", "/all"))
        for type_ in ("credit.applied", "payment.created", "bill.created", "credit.removed", "refund.failed"):
            add_event(db, owner.practice_id, type_)
        _until_quiet(_worker(db, clock), owner.practice_id, clock)

    by_path: dict[str, list[str]] = {}
    for hit in receiver.hits:
        by_path.setdefault(hit.path, []).append(hit.event["type"])
    assert sorted(by_path["/credit"]) == ["credit.applied", "credit.removed"]
    assert sorted(by_path["/payments"]) == ["payment.created", "refund.failed"]
    assert len(by_path["/all"]) == 5


def test_a_deleted_endpoint_gets_nothing_more(owner: Api, db: Database) -> None:
    clock = Clock()
    with receiving(fail_first=1000) as receiver:
        endpoint_id, _ = _endpoint(owner, receiver.url)
        add_event(db, owner.practice_id, "bill.created")
        worker = _worker(db, clock)
        assert worker.run_once(practices=[owner.practice_id]).failed == 1
        owner.call("DELETE", f"/webhook-endpoints/{endpoint_id}", expect=204)
        add_event(db, owner.practice_id, "bill.paid")
        clock.advance(600)
        report = worker.run_once(practices=[owner.practice_id])

    assert (report.events, report.deliveries, report.failed, report.delivered) == (1, 0, 0, 0)
    assert len(receiver.hits) == 1
    assert _statuses(db, owner.practice_id) == ["abandoned"]


def test_an_endpoint_receives_the_events_made_after_it(owner: Api, db: Database) -> None:
    clock = Clock()
    with receiving() as receiver:
        add_event(db, owner.practice_id, "bill.created", created_at=clock.now - timedelta(seconds=5))
        _endpoint(owner, receiver.url)
        later = add_event(db, owner.practice_id, "bill.paid")
        _until_quiet(_worker(db, clock), owner.practice_id, clock)
    assert receiver.event_ids() == [later]


def test_a_delivery_still_failing_after_three_days_is_abandoned(owner: Api, db: Database) -> None:
    clock = Clock()
    with receiving(fail_first=1000) as receiver:
        _endpoint(owner, receiver.url)
        add_event(db, owner.practice_id, "refund.created")
        worker = _worker(db, clock)
        assert worker.run_once(practices=[owner.practice_id]).failed == 1
        clock.advance(timedelta(days=1).total_seconds())
        assert worker.run_once(practices=[owner.practice_id]).failed == 1  # still tried after a day
        clock.advance(timedelta(days=2).total_seconds())
        assert worker.run_once(practices=[owner.practice_id]).abandoned == 1
        clock.advance(timedelta(days=1).total_seconds())
        assert worker.run_once(practices=[owner.practice_id]).failed == 0
    assert len(receiver.hits) == 3
    assert _statuses(db, owner.practice_id) == ["abandoned"]


def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_not_contacted(
    owner: Api, db: Database, monkeypatch: pytest.MonkeyPatch, app: Any
) -> None:
    monkeypatch.delenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE")
    clock = Clock()
    with receiving() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        app.state.webhook_resolver = lambda host, _port: ["93.184.216.34"]  # public when it is made...
        try:
            _endpoint(owner, f"https://hooks.example.com:{port}/hook")
        finally:
            app.state.webhook_resolver = None
        add_event(db, owner.practice_id, "payment.created")
        rebound = UrlPolicy(allow_private=False, resolver=lambda host, _port: ["127.0.0.1"])  # ...loopback now
        report = _worker(db, clock, rebound).run_once(practices=[owner.practice_id])

    assert report.failed == 1 and receiver.hits == []
    [log] = _logs(app.state.runner, owner.practice_id)
    error = log.attempts[0].error or ""
    assert error.startswith("not sent") and "127.0.0.1" in error and log.attempts[0].status_code is None


def test_two_workers_at_once_never_send_one_delivery_twice(owner: Api, database_url: str, db: Database) -> None:
    clock = Clock()
    with receiving(delay=0.15) as receiver:
        _endpoint(owner, receiver.url)
        ids = [add_event(db, owner.practice_id, "credit.created") for _ in range(12)]
        databases = [Database(database_url), Database(database_url)]  # as two processes would have
        workers = [_worker(d, clock) for d in databases]
        start = threading.Barrier(2)

        def work(worker: DeliveryWorker) -> None:
            start.wait(5)
            for _ in range(3):
                worker.run_once(practices=[owner.practice_id])

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for d in databases:
            d.dispose()

    assert sorted(receiver.event_ids()) == sorted(ids)  # each once: no lease was taken twice
    assert max(receiver.most_at_once.values()) == 1
    assert _statuses(db, owner.practice_id) == ["delivered"] * 12
    assert json.loads(receiver.hits[0].body)["type"] == "credit.created"
