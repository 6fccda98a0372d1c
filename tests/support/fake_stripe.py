"""A local fake of Stripe's API on 127.0.0.1, for driving the real ``stripe`` SDK in tests.

    with FakeStripe(webhook_target=url_or_callable, webhook_secret="whsec_test") as fake:
        processor = StripeProcessor(FAKE_API_KEY, api_base=fake.base_url, max_network_retries=0)
        ...
        fake.requests          # every request: method, path, params (nested), idempotency key, body
        fake.deliver_events()  # POST the queued events, signed as Stripe signs them

For an app-level test set ``CLIENTLEDGER_PROCESSOR=stripe``, ``CLIENTLEDGER_STRIPE_API_KEY=FAKE_API_KEY``
and ``CLIENTLEDGER_STRIPE_API_BASE=fake.base_url`` before the app is built.

What it does as Stripe does: form-encoded requests (``a[b]=``, ``expand[0]=`` or ``expand[]=``);
``Authorization: Bearer <key>`` checked (401 otherwise); ``Idempotency-Key`` on POSTs (the same key
with the same request replays the first answer with ``Idempotent-Replayed: true``, with another
request it is 400 ``idempotency_error``; validation errors are not saved, card declines are);
unknown parameters refused; errors as ``{"error": {"type", "code", "decline_code", "message"...}}``.
The endpoints and test payment methods are in ``fake_stripe_api``.

Events: ``refund.created`` and ``charge.refunded`` (``data.previous_attributes`` has the charge's
``amount_refunded`` before) when a refund succeeds; a refund of a ``pm_card_refundFail`` charge is
answered ``pending``, then fails at once: ``refund.created`` (pending) then ``refund.updated``
(``status: failed``, ``failure_reason``, ``previous_attributes.status: pending``). ``refund.failed`` is
made too but only sent when listed in ``enabled_events``. ``hold_refunds()`` answers new refunds
``pending`` (a slow bank) until ``succeed_refund(id)`` sends ``refund.updated`` and
``charge.refunded``; ``GET /v1/refunds?charge=`` lists a charge's refunds. Events queue up and are
sent by ``deliver_events()`` (so a test decides when "later" is), or at once from a background
thread with ``auto_deliver=True``. A ``webhook_target`` is a URL (POSTed with httpx) or a callable
``(body, headers) -> status`` (e.g. forwarding to a ``TestClient``). ``refund_in_dashboard`` makes a
refund outside the app, as the Stripe dashboard would.

Faults for tests: ``fail_next(status)`` answers the next request(s) with a Stripe-shaped error
without executing them; ``lose_next_response()`` executes the next request, then answers 500 (the
charge happened but the answer was lost); ``delay_next(seconds)`` holds the next answer.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.fake_stripe_api import StripeState
from tests.support.fake_stripe_cards import API_VERSION, TEST_PAYMENT_METHODS, Obj, Params, StripeFault, invalid, new_id
from tests.support.fake_stripe_events import DEFAULT_EVENTS, Delivery, Outbox, WebhookTarget

__all__ = ["FAKE_API_KEY", "TEST_PAYMENT_METHODS", "FakeStripe", "RecordedRequest", "fake_stripe", "parse_form"]

FAKE_API_KEY = "sk_test_clientledgerFakeStripe000000"

_ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "customers"): frozenset({"name", "email", "description", "metadata", "phone", "expand"}),
    ("POST", "payment_intents"): frozenset(
        {
            "amount",
            "currency",
            "payment_method",
            "customer",
            "confirm",
            "off_session",
            "error_on_requires_action",
            "allowed_payment_method_types",
            "description",
            "metadata",
            "expand",
            "receipt_email",
            "setup_future_usage",
            "statement_descriptor_suffix",
        }
    ),
    ("POST", "refunds"): frozenset({"charge", "payment_intent", "amount", "metadata", "reason", "expand"}),
    ("POST", "setup_intents"): frozenset(
        {"customer", "usage", "allowed_payment_method_types", "metadata", "description", "expand"}
    ),
    ("POST", "attach"): frozenset({"customer", "expand"}),
    ("POST", "detach"): frozenset({"expand"}),
}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: Params
    idempotency_key: str | None
    body: str
    headers: Mapping[str, str]
    status: int


def parse_form(body: str) -> Params:
    """Stripe's form encoding, nested: ``a[b][0]=x`` -> ``{"a": {"b": ["x"]}}``; ``a[]=`` appends."""
    root: Params = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head] + (rest[:-1].split("][") if rest.endswith("]") else [])
        node = root
        for i, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if i == len(parts) - 1:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                node = child if isinstance(child, dict) else {}
    return {name: _listify(value) for name, value in root.items()}


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


class FakeStripe:
    """Stripe's API on a random loopback port, in memory, thread-safe (one lock for all state)."""

    def __init__(
        self,
        *,
        api_key: str = FAKE_API_KEY,
        webhook_target: WebhookTarget | None = None,
        webhook_secret: str | None = None,
        enabled_events: tuple[str, ...] = DEFAULT_EVENTS,
        auto_deliver: bool = False,
    ) -> None:
        self.api_key = api_key
        self.auto_deliver = auto_deliver
        self._lock = threading.RLock()
        self.outbox = Outbox(self._lock, target=webhook_target, secret=webhook_secret, enabled_events=enabled_events)
        self._state = StripeState(self._emit)
        self._requests: list[RecordedRequest] = []
        self._idempotent: dict[str, tuple[str, Params, int, Obj]] = {}
        self._faults: list[tuple[str, Any]] = []
        self._request_context: tuple[str | None, str | None] = (None, None)
        self._server: ThreadingHTTPServer | None = None
        self.crashes: list[str] = []  # tracebacks of requests the fake itself failed on (a bug in it)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.02,), name="fake-stripe", daemon=True).start()
        if self.auto_deliver:
            self.outbox.start_auto_delivery()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.outbox.stop()

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
        if kind is None:
            assert not self.crashes, "the fake Stripe API crashed:\n" + "\n".join(self.crashes)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- what tests read ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def objects(self, kind: str) -> list[Obj]:
        """Every stored ``customers``, ``payment_methods``, ``payment_intents``, ``charges``, ``refunds``..."""
        with self._lock:
            return [copy.deepcopy(o) for o in self._state.objects[kind].values()]

    def get(self, object_id: str) -> Obj:
        with self._lock:
            for objects in self._state.objects.values():
                if object_id in objects:
                    return copy.deepcopy(objects[object_id])
        raise KeyError(object_id)

    @property
    def events(self) -> list[Obj]:
        """Every event made so far (of the enabled types), oldest first."""
        return [d.event for d in self.outbox.deliveries]

    # --- what tests do -----------------------------------------------------------------------------

    def fail_next(self, status: int = 500, *, times: int = 1, message: str | None = None) -> None:
        error_type = "api_error" if status >= 500 else "invalid_request_error"
        error = {"type": error_type, "message": message or "Something went wrong on Stripe's end."}
        if status == 429:
            error |= {"code": "rate_limit", "message": message or "Too many requests hit the API too quickly."}
        with self._lock:
            self._faults.extend([("fail", (status, error))] * times)

    def lose_next_response(self) -> None:
        with self._lock:
            self._faults.append(("lose", None))

    def delay_next(self, seconds: float) -> None:
        with self._lock:
            self._faults.append(("delay", seconds))

    def refund_in_dashboard(self, charge_id: str, amount: int | None = None) -> Obj:
        """A refund made outside the app (no metadata, no idempotency key); its events are queued."""
        params: Params = {"charge": charge_id, "reason": "requested_by_customer"}
        if amount is not None:
            params["amount"] = str(amount)
        with self._lock:
            self._request_context = (None, None)
            refund = self._state.create_refund(params)
            return copy.deepcopy(refund)

    def hold_refunds(self, hold: bool = True) -> None:
        """New refunds (of cards that do not fail) are answered ``pending`` until ``succeed_refund``."""
        with self._lock:
            self._state.hold_refunds = hold

    def succeed_refund(self, refund_id: str) -> Obj:
        with self._lock:
            self._request_context = (None, None)
            return copy.deepcopy(self._state.succeed_refund(refund_id))

    def fail_refund(self, refund_id: str, reason: str = "expired_or_canceled_card") -> Obj:
        with self._lock:
            self._request_context = (None, None)
            refund = self._state.fail_refund(refund_id, reason)
            return copy.deepcopy(refund)

    def deliver_events(self) -> list[Delivery]:
        """POST every event not yet delivered (2xx) to the webhook target, in order."""
        return self.outbox.deliver()

    def redeliver(self, event_id: str) -> int | str:
        """Send one event again, as Stripe may (the receiver must record it once)."""
        return self.outbox.redeliver(event_id)

    def wait_until_delivered(self, timeout: float = 5.0) -> bool:
        """With ``auto_deliver``: wait (at most ``timeout`` s) until every event got a 2xx."""
        return self.outbox.wait_until_delivered(timeout)

    def _emit(self, event_type: str, obj: Obj, previous: Obj | None) -> None:
        request_id, key = self._request_context
        self.outbox.emit(event_type, obj, previous, request_id=request_id, key=key)

    # --- the API -----------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: str
    ) -> tuple[int, Obj, dict[str, str]]:
        """One HTTP request: (status, JSON body, extra headers). Called from the server's threads."""
        url = urlsplit(target)
        params = parse_form(body if method == "POST" else url.query)
        key = headers.get("Idempotency-Key") if method == "POST" else None
        request_id = new_id("req")
        answer_headers = {"Request-Id": request_id, "Stripe-Version": headers.get("Stripe-Version", API_VERSION)}
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            if fault is not None and fault[0] == "fail":
                status, error = fault[1]
                self._record(method, url.path, params, key, body, headers, status)
                return status, {"error": dict(error)}, answer_headers
            status, answer, replayed = self._answer(method, url.path, params, key, headers, request_id)
            self._record(method, url.path, params, key, body, headers, status)
        if key is not None:
            answer_headers["Idempotency-Key"] = key
        if replayed:
            answer_headers["Idempotent-Replayed"] = "true"
        if fault is not None and fault[0] == "lose":
            return 500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}, answer_headers
        if fault is not None and fault[0] == "delay":
            time.sleep(float(fault[1]))
        return status, answer, answer_headers

    def _record(
        self,
        method: str,
        path: str,
        params: Params,
        key: str | None,
        body: str,
        headers: Mapping[str, str],
        status: int,
    ) -> None:
        self._requests.append(RecordedRequest(method, path, params, key, body, dict(headers), status))

    def _answer(
        self, method: str, path: str, params: Params, key: str | None, headers: Mapping[str, str], request_id: str
    ) -> tuple[int, Obj, bool]:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return 401, _no_key_error(), False
        if auth[len("Bearer ") :] != self.api_key:
            return 401, _bad_key_error(auth[len("Bearer ") :]), False
        endpoint = f"{method} {path}"
        if key is not None and key in self._idempotent:
            first_endpoint, first_params, status, answer = self._idempotent[key]
            if first_endpoint != endpoint:
                return (
                    400,
                    _idempotency_error(
                        key, f"for the same endpoint they were first used for ('{first_endpoint}' vs '{endpoint}')"
                    ),
                    False,
                )
            if first_params != params:
                return 400, _idempotency_error(key, "with the same parameters they were first used with"), False
            return status, copy.deepcopy(answer), True
        self._request_context = (request_id, key)
        try:
            status, answer = 200, self._route(method, path, params)
        except StripeFault as fault:
            status, answer = fault.status, {"error": copy.deepcopy(fault.error)}
            if not fault.saved:
                return status, answer, False
        if key is not None:
            self._idempotent[key] = (endpoint, params, status, copy.deepcopy(answer))
        return status, answer, False

    def _route(self, method: str, path: str, params: Params) -> Obj:
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1":
            raise _unrecognized(method, path)
        resource, rest = parts[1], parts[2:]
        expand = params.get("expand", [])
        if not isinstance(expand, list):
            raise invalid("Invalid array", param="expand")
        state = self._state
        if method == "GET" and not rest and resource == "refunds":
            _check_params(params, frozenset({"charge", "payment_intent", "limit", "starting_after", "expand"}))
            return state.list_refunds(params)
        if method == "GET" and len(rest) == 1:
            _check_params(params, frozenset({"expand"}))
            labels = {
                "customers": "customer",
                "payment_methods": "PaymentMethod",
                "payment_intents": "payment_intent",
                "charges": "charge",
                "refunds": "refund",
                "setup_intents": "setupintent",
            }
            if resource in labels:
                if resource == "payment_methods" and rest[0] in TEST_PAYMENT_METHODS:
                    return state.render(state.payment_method(rest[0], param=None), expand)
                return state.render(state.get(resource, rest[0], label=labels[resource]), expand)
        if method == "POST" and not rest and ("POST", resource) in _ALLOWED:
            _check_params(params, _ALLOWED[("POST", resource)])
            create = {
                "customers": state.create_customer,
                "payment_intents": state.create_payment_intent,
                "refunds": state.create_refund,
                "setup_intents": state.create_setup_intent,
            }[resource]
            return state.render(create(params), expand)
        if method == "POST" and resource == "payment_methods" and len(rest) == 2 and rest[1] in ("attach", "detach"):
            _check_params(params, _ALLOWED[("POST", rest[1])])
            if rest[1] == "attach":
                return state.render(state.attach(rest[0], params), expand)
            return state.render(state.detach(rest[0]), expand)
        raise _unrecognized(method, path)


def _check_params(params: Params, allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def _unrecognized(method: str, path: str) -> StripeFault:
    return invalid(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at "
        "https://support.stripe.com/.",
        status=404,
    )


def _no_key_error() -> Obj:
    return {
        "error": {
            "type": "invalid_request_error",
            "message": "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        }
    }


def _bad_key_error(key: str) -> Obj:
    shown = f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}"
    return {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {shown}"}}


def _idempotency_error(key: str, how: str) -> Obj:
    return {
        "error": {
            "type": "idempotency_error",
            "message": f"Keys for idempotent requests can only be used {how}. Try using a key other than "
            f"'{key}' if you meant to execute a different request.",
        }
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a test's short timeout) is no error of the fake's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection ends, so its thread does

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            try:
                status, answer, headers = fake.handle(
                    self.command, self.path, {k.title(): v for k, v in self.headers.items()}, body
                )
            except Exception:
                fake.crashes.append(traceback.format_exc())
                status, answer, headers = 500, {"error": {"type": "api_error", "message": "The fake crashed"}}, {}
            payload = json.dumps(answer, indent=2).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            fake.outbox.release(headers.get("Request-Id", ""))

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A started ``FakeStripe`` without a webhook target (set ``webhook_target``/``webhook_secret``)."""
    with FakeStripe() as fake:
        yield fake
