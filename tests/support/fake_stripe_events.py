"""The fake Stripe's events and their delivery to a webhook endpoint, signed as Stripe signs them.

Events queue up in an ``Outbox``; ``deliver()`` POSTs those not yet delivered (so a test decides
when "later" is), or a background thread sends each new one once (``auto_deliver``). A target is
a URL (POSTed with httpx, 5 s at most) or a callable ``(body, headers) -> status`` (e.g. forwarding
to a ``TestClient``). The body is Stripe's event JSON, pretty-printed as Stripe sends it, so a
receiver must check the signature on the raw bytes.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import stripe

from tests.support.fake_stripe_cards import API_VERSION, Obj, new_id

WebhookTarget = str | Callable[[bytes, dict[str, str]], int]
DEFAULT_EVENTS = ("charge.refunded", "refund.created", "refund.updated")


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` exactly as Stripe computes it: HMAC-SHA256 of ``"<t>.<payload>"``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class Delivery:
    event: Obj
    statuses: list[int | str] = field(default_factory=list)  # one per attempt: HTTP status or error
    held_for: str | None = None  # the request that made it, until answered: auto delivery waits

    @property
    def delivered(self) -> bool:
        return any(isinstance(s, int) and 200 <= s < 300 for s in self.statuses)


class Outbox:
    """Every event the fake made (of the enabled types), and each attempt to deliver it."""

    def __init__(
        self,
        lock: threading.RLock,
        *,
        target: WebhookTarget | None,
        secret: str | None,
        enabled_events: tuple[str, ...],
    ) -> None:
        self.target = target
        self.secret = secret
        self.enabled_events = enabled_events
        self._lock = lock
        self._changed = threading.Condition(lock)
        self._deliveries: list[Delivery] = []
        self._running = False

    def emit(self, event_type: str, obj: Obj, previous: Obj | None, *, request_id: str | None, key: str | None) -> None:
        """Queue an event (call with the lock held); ``previous`` is ``data.previous_attributes``.

        An event made while answering a request (``request_id``) is held back from auto delivery
        until ``release()``, so a receiver never hears of a refund before its maker has the answer.
        """
        if event_type not in self.enabled_events:
            return
        data: Obj = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = copy.deepcopy(previous)
        event: Obj = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.target is not None else 0,
            "request": {"id": request_id, "idempotency_key": key},
            "type": event_type,
        }
        self._deliveries.append(Delivery(event, held_for=request_id))
        self._changed.notify_all()

    def release(self, request_id: str) -> None:
        """The request ``request_id`` has been answered: its events may go."""
        with self._changed:
            for delivery in self._deliveries:
                if delivery.held_for == request_id:
                    delivery.held_for = None
            self._changed.notify_all()

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return [Delivery(copy.deepcopy(d.event), list(d.statuses), d.held_for) for d in self._deliveries]

    def deliver(self) -> list[Delivery]:
        """POST every event not yet delivered (2xx), in order; the deliveries attempted."""
        with self._lock:
            pending = [d for d in self._deliveries if not d.delivered]
        for delivery in pending:
            self._send(delivery)
        return self._copies(pending)

    def redeliver(self, event_id: str) -> int | str:
        with self._lock:
            delivery = next(d for d in self._deliveries if d.event["id"] == event_id)
        return self._send(delivery)

    def wait_until_delivered(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not all(d.delivered for d in self._deliveries):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.05))
        return True

    def start_auto_delivery(self) -> None:
        self._running = True
        threading.Thread(target=self._deliver_forever, name="fake-stripe-webhooks", daemon=True).start()

    def stop(self) -> None:
        with self._changed:
            self._running = False
            self._changed.notify_all()

    def _copies(self, deliveries: list[Delivery]) -> list[Delivery]:
        with self._lock:
            return [Delivery(copy.deepcopy(d.event), list(d.statuses), d.held_for) for d in deliveries]

    def _send(self, delivery: Delivery) -> int | str:
        if self.target is None or self.secret is None:
            raise AssertionError("FakeStripe needs webhook_target and webhook_secret to deliver events")
        with self._lock:
            body = json.dumps(delivery.event, indent=2).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(body, self.secret),
        }
        outcome: int | str
        try:
            if callable(self.target):
                outcome = self.target(body, headers)
            else:
                outcome = httpx.post(self.target, content=body, headers=headers, timeout=5.0).status_code
        except (httpx.HTTPError, OSError) as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        with self._changed:
            delivery.statuses.append(outcome)
            self._changed.notify_all()
        return outcome

    def _deliver_forever(self) -> None:
        """Each new event is sent once, soon after the answer that made it; ``deliver()`` retries."""
        while True:
            with self._changed:
                while self._running and all(d.statuses or d.held_for for d in self._deliveries):
                    self._changed.wait(0.1)
                if not self._running:
                    return
                todo = [d for d in self._deliveries if not d.statuses and d.held_for is None]
            for delivery in todo:
                self._send(delivery)


class SignedReceiver:
    """A webhook endpoint as a callable target: keeps each event whose signature the SDK accepts
    (``stripe.Webhook.construct_event``, 5 minutes' tolerance), answers 400 to any other."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[Obj] = []

    def __call__(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            stripe.Webhook.construct_event(body.decode(), headers.get("Stripe-Signature", ""), self.secret)
        except (stripe.SignatureVerificationError, ValueError):
            return 400
        self.events.append(json.loads(body))
        return 200

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]
