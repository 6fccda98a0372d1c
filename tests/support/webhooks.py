"""Webhook test kit: a loopback receiver that fails on purpose, a receiver's signature check, a clock
the worker reads, and events put into the outbox as a money movement would write them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import insert

from clientledger.db import Ctx, Database, utcnow
from clientledger.kit.ids import new_id
from clientledger.models import events

SIGNATURE_TOLERANCE = 300  # seconds, as a receiver would allow


@dataclass(frozen=True)
class Hit:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    """Answers 500 to the first ``fail_first`` requests, then 200; ``delay`` seconds before each answer."""

    url: str
    fail_first: int = 0
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: Counter[str] = field(default_factory=Counter)
    most_at_once: Counter[str] = field(default_factory=Counter)  # per event id

    def answer(self, hit: Hit) -> int:
        event_id = hit.headers.get("clientledger-event-id", "")
        with self.lock:
            self.hits.append(hit)
            failing = len(self.hits) <= self.fail_first
            self.in_flight[event_id] += 1
            self.most_at_once[event_id] = max(self.most_at_once[event_id], self.in_flight[event_id])
        try:
            if self.delay:
                time.sleep(self.delay)
        finally:
            with self.lock:
                self.in_flight[event_id] -= 1
        return 500 if failing else 200

    def event_ids(self) -> list[str]:
        with self.lock:
            return [h.event["id"] for h in self.hits]


@contextmanager
def receiving(*, fail_first: int = 0, delay: float = 0.0) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 at a free port, for the duration of the block."""
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hit = Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            status = holder[0].answer(hit)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook", fail_first=fail_first, delay=delay)
    holder.append(receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def verify_signature(hit: Hit, secret: str, *, now: float) -> bool:
    """What a receiver does: parse ``t=...,v1=...``, refuse an old timestamp, compare the HMAC."""
    parts = dict(p.split("=", 1) for p in hit.headers["clientledger-signature"].split(","))
    stamp = int(parts["t"])
    if abs(now - stamp) > SIGNATURE_TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + hit.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Clock:
    """The worker's clock, moved by the test instead of waiting (naive UTC, as the database keeps time)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def timestamp(self) -> float:
        return (self.now - datetime(1970, 1, 1)).total_seconds()


def add_event(
    db: Database,
    practice_id: str,
    type_: str,
    data: dict[str, Any] | None = None,
    *,
    credit_balance: int | None = None,
    created_at: datetime | None = None,
) -> str:
    """An event in the outbox of ``practice_id``, as a money movement writes it; its id."""
    event_id = new_id("evt")
    with db.transaction(Ctx(practice_id=practice_id)) as tx:
        tx.conn.execute(
            insert(events).values(
                id=event_id,
                practice_id=practice_id,
                type=type_,
                data=json.dumps(data or {"client_id": "cli_test", "amount": 1000}),
                credit_balance=credit_balance,
                created_at=created_at or tx.now,
            )
        )
    return event_id
