"""The delivery worker: from the events outbox to each matching endpoint, at least once, signed.

One pass (``DeliveryWorker.run_once``), practice by practice (every statement names its practice):

1. Fan-out: claim the oldest undispatched events (a bounded batch; on PostgreSQL ``FOR UPDATE SKIP
   LOCKED``), make one delivery per matching live endpoint (``ON CONFLICT DO NOTHING`` on the
   endpoint+event key, so a repeated fan-out adds nothing), and mark the events dispatched.
2. Attempts: claim due deliveries (``next_attempt_at <= now``) and lease them in the claiming
   transaction: ``next_attempt_at`` moves past the longest an attempt can take, so no other worker
   takes them meanwhile (on PostgreSQL the claim also skips rows another worker is claiming), and
   one that dies mid-attempt leaves them due again once the lease ends. After the commit, POST each
   event (no transaction is open; several at once, each to the address just checked), then record
   the attempt and settle: 2xx delivered, else due again by ``rules.webhooks.next_attempt_at``, or
   abandoned.

Everything is in the database, so a restart loses nothing. The clock is injectable: tests move
time instead of sleeping through the backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from clientledger import __version__
from clientledger.db import Ctx, Database, utcnow
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.ids import new_id
from clientledger.kit.secrets import endpoint_secret, signature_header
from clientledger.practices.repository import practice_ids
from clientledger.rules.webhooks import matches, next_attempt_at
from clientledger.webhooks.repository import (
    ABANDONED,
    DELIVERED,
    ClaimedDelivery,
    EventRecord,
    claim_due,
    insert_deliveries,
    live_endpoints,
    mark_dispatched,
    practices_with_work,
    record_attempt,
    settle_delivery,
    undispatched_events,
)
from clientledger.webhooks.schemas import EventPayload
from clientledger.webhooks.urls import UrlPolicy

log = logging.getLogger("clientledger.webhooks")

SIGNATURE_HEADER = "Clientledger-Signature"
EVENT_ID_HEADER = "Clientledger-Event-Id"
Clock = Callable[[], datetime]


def payload(event: EventRecord) -> bytes:
    """The body of every attempt of ``event``: the event as ``GET /events`` lists it."""
    body = EventPayload(id=event.id, type=event.type, created_at=event.created_at, data=event.data)
    return body.model_dump_json().encode()


@dataclass
class PassReport:
    """What one pass did: events fanned out, deliveries made, attempts and their outcomes."""

    events: int = 0
    deliveries: int = 0
    delivered: int = 0
    failed: int = 0
    abandoned: int = 0

    def add(self, other: PassReport) -> None:
        self.events += other.events
        self.deliveries += other.deliveries
        self.delivered += other.delivered
        self.failed += other.failed
        self.abandoned += other.abandoned


@dataclass(frozen=True)
class _Result:
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeliveryWorker:
    """Sends the outbox's events of every practice on ``db`` to their endpoints."""

    def __init__(
        self,
        db: Database,
        *,
        policy: UrlPolicy | None = None,
        clock: Clock = utcnow,
        timeout: float = 10.0,
        batch: int = 100,
        senders: int = 8,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.policy = policy if policy is not None else UrlPolicy.from_env()
        self.clock = clock
        self.timeout = timeout
        self.batch = batch
        self.senders = senders
        self.transport = transport
        # Longer than any attempt of a claimed group can take (they are sent side by side).
        self.lease = timedelta(seconds=6 * timeout + 30)

    # -- a pass --------------------------------------------------------------------------------
    def run_once(self, *, practices: Sequence[str] | None = None, max_rounds: int = 50) -> PassReport:
        """Fan out every practice's new events (or only ``practices``'), then send what is due; one
        pass, then return. Only practices with work pay more than two index probes per 500."""
        report = PassReport()
        ids = list(practices) if practices is not None else practice_ids(self.db)
        busy: set[str] = set()
        for start in range(0, len(ids), 500):
            with self.db.engine.connect() as conn:
                busy |= practices_with_work(conn, ids[start : start + 500], now=self.clock())
        for practice_id in sorted(busy):
            report.add(self.fan_out(practice_id))
            report.add(self.deliver_due(practice_id, max_rounds=max_rounds))
        return report

    def fan_out(self, practice_id: str) -> PassReport:
        """One delivery per (matching live endpoint, undispatched event), then the events are dispatched."""
        report = PassReport()
        while True:
            now = self.clock()
            with self.db.transaction(Ctx(practice_id=practice_id)) as tx:
                found = undispatched_events(tx, limit=self.batch)
                if not found:
                    return report
                endpoints = live_endpoints(tx)
                rows = [
                    {"id": new_id("whd"), "endpoint_id": e.id, "event_id": ev.id, "next_attempt_at": now}
                    for ev in found
                    for e in endpoints
                    if e.created_at <= ev.created_at and matches(e.events, ev.type)
                ]
                insert_deliveries(tx, rows)
                mark_dispatched(tx, [ev.id for ev in found], at=now)
            report.events += len(found)
            report.deliveries += len(rows)
            if len(found) < self.batch:
                return report

    def deliver_due(self, practice_id: str, *, max_rounds: int = 50) -> PassReport:
        """Attempt the practice's due deliveries, a leased group at a time, until none is due."""
        report = PassReport()
        ctx = Ctx(practice_id=practice_id)
        with self._client() as client, ThreadPoolExecutor(max_workers=self.senders) as pool:
            for _ in range(max_rounds):
                now = self.clock()
                with self.db.transaction(ctx) as tx:
                    claimed = claim_due(tx, now=now, lease_until=now + self.lease, limit=self.senders)
                if not claimed:
                    break
                results = list(pool.map(lambda d: self._attempt(client, practice_id, d), claimed))
                for delivery, result in zip(claimed, results, strict=True):
                    report.add(self._settle(ctx, delivery, result))
        return report

    # -- one attempt ---------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        # No connection is kept: each attempt connects to the address it has just checked.
        return httpx.Client(
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would connect to addresses we did not check
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=self.transport,
            headers={"User-Agent": f"clientledger-webhooks/{__version__}"},
        )

    def _attempt(self, client: httpx.Client, practice_id: str, delivery: ClaimedDelivery) -> _Result:
        attempted_at = self.clock()
        started = time.monotonic()

        def done(status_code: int | None, error: str | None) -> _Result:
            elapsed = int((time.monotonic() - started) * 1000)
            return _Result(status_code, error[:500] if error else None, elapsed, attempted_at)

        try:
            target = self.policy.check(delivery.url)  # again now: the name may resolve elsewhere today
        except ValidationFailed as exc:
            return done(None, f"not sent: {exc.message.removeprefix('url: ')}")
        body = payload(delivery.event)
        stamp = int(attempted_at.replace(tzinfo=UTC).timestamp())
        headers = {
            "Content-Type": "application/json",
            "Host": target.netloc,
            SIGNATURE_HEADER: signature_header(endpoint_secret(practice_id, delivery.endpoint_id), stamp, body),
            EVENT_ID_HEADER: delivery.event.id,
        }
        extensions = {"sni_hostname": target.host} if target.host != target.address else {}
        try:
            with client.stream(
                "POST", target.pinned_url, content=body, headers=headers, extensions=extensions
            ) as response:
                return done(response.status_code, None if response.is_success else f"HTTP {response.status_code}")
        except httpx.TimeoutException:
            return done(None, f"timed out after {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return done(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    def _settle(self, ctx: Ctx, delivery: ClaimedDelivery, result: _Result) -> PassReport:
        now = self.clock()
        if result.ok:
            status, due, report = DELIVERED, None, PassReport(delivered=1)
        else:
            due = next_attempt_at(event_at=delivery.event.created_at, now=now, failures=delivery.attempts + 1)
            status = "pending" if due is not None else ABANDONED
            report = PassReport(failed=1) if due is not None else PassReport(abandoned=1)
        with self.db.transaction(ctx) as tx:
            record_attempt(
                tx,
                attempt_id=new_id("wha"),
                delivery=delivery,
                attempted_at=result.attempted_at,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
            settle_delivery(
                tx,
                delivery.id,
                status=status,
                status_code=result.status_code,
                error=result.error,
                next_attempt_at=due,
                delivered_at=now if result.ok else None,
            )
        return report


class DeliveryThread:
    """``serve``'s one delivery worker: a pass about every ``interval`` seconds until ``stop``."""

    def __init__(self, worker: DeliveryWorker, *, interval: float = 1.0) -> None:
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clientledger-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the attempt under way (at most the worker's timeout), then return."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.worker.run_once()
            except Exception:
                log.exception("webhook delivery pass failed; trying again")
            self._stop.wait(self.interval)
