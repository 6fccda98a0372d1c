"""Both ends of webhooks as an outsider sees them: a receiver on 127.0.0.1, and Stripe's events and signatures.

The receiver records what clientledger POSTs to it; ``stripe_event`` and ``stripe_signature`` build
what Stripe would send to ``POST /webhooks/stripe`` (Stripe's documented object shapes and scheme).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_serial = itertools.count(1)


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got, and the status it answered."""

    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1; with ``fail_first`` it answers 500 to each event id's first POST."""

    url: str = ""
    fail_first: bool = False
    deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_for(self, body: bytes) -> int:
        if not self.fail_first:
            return 200
        try:
            event_id = json.loads(body).get("id")
        except (ValueError, AttributeError):
            return 200
        with self._lock:
            seen = any(d.event.get("id") == event_id for d in self.deliveries if _is_json(d.body))
        return 200 if seen else 500

    def record(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)

    def received(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def delivered_ids(self) -> set[str]:
        """Event ids the receiver acknowledged with a 2xx."""
        return {str(d.event["id"]) for d in self.received() if d.answered < 300 and _is_json(d.body)}


def _is_json(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


@contextmanager
def receiver(*, fail_first: bool = False) -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 (a free port) recording every POST, stopped on exit."""
    state = Receiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        timeout = 5

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = state.answer_for(body)
            state.record(Delivery(dict(self.headers.items()), body, status))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``deliveries``, not the log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{next(_serial)}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def signature_parts(header: str) -> tuple[str, list[str]]:
    """``t=<unix seconds>,v1=<hex>[,v1=...]`` as (t, [v1...])."""
    t = ""
    v1: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            t = value
        elif name == "v1":
            v1.append(value)
    return t, v1


def hmac_hex(secret: str, t: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<t>.<body>"`` keyed with the secret's UTF-8 bytes (both schemes use it)."""
    return hmac.new(secret.encode("utf-8"), t.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signed_correctly(delivery: Delivery, secret: str) -> bool:
    header = delivery.header("Clientledger-Signature")
    if header is None:
        return False
    t, v1 = signature_parts(header)
    return t.isdigit() and hmac_hex(secret, t, delivery.body) in v1


# --- Stripe's side -------------------------------------------------------------------------------


def stripe_signature(secret: str, body: bytes, *, at: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    t = str(int(time.time()) if at is None else at)
    return f"t={t},v1={hmac_hex(secret, t, body)}"


def stripe_refund(
    charge_id: str, amount: int, *, refund_id: str | None = None, status: str = "succeeded", **extra: Any
) -> dict[str, Any]:
    """A Stripe Refund object, as made in the Dashboard (no metadata of ours)."""
    return {
        "id": refund_id or f"re_dash_{secrets.token_hex(8)}",
        "object": "refund",
        "amount": amount,
        "balance_transaction": f"txn_{secrets.token_hex(8)}",
        "charge": charge_id,
        "created": int(time.time()),
        "currency": "usd",
        "metadata": {},
        "payment_intent": None,
        "reason": "requested_by_customer",
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
        **extra,
    }


def stripe_charge(charge_id: str, amount: int, refunds: list[dict[str, Any]]) -> dict[str, Any]:
    """A Stripe Charge object after ``refunds`` (a ``charge.refunded`` event's object)."""
    refunded = sum(int(r["amount"]) for r in refunds if r["status"] in {"succeeded", "pending"})
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": True,
        "currency": "usd",
        "metadata": {},
        "paid": True,
        "payment_intent": None,
        "refunded": refunded >= amount,
        "status": "succeeded",
        "refunds": {
            "object": "list",
            "data": refunds,
            "has_more": False,
            "total_count": len(refunds),
            "url": f"/v1/charges/{charge_id}/refunds",
        },
    }


def stripe_event(type: str, obj: dict[str, Any], **data: Any) -> dict[str, Any]:
    """A Stripe Event wrapping ``obj`` (``data.previous_attributes`` and the like through ``data``)."""
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": obj, **data},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }
