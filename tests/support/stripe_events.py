"""Stripe events as Stripe sends them: the JSON shapes of its webhooks and its ``Stripe-Signature``.

The signature is computed here by hand, as Stripe documents it (``t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint secret>``), not with the SDK the server checks it with.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

SECRET = "whsec_test_clientledger_0123456789"
API_VERSION = "2026-10-28.endive"


def sign(payload: bytes, secret: str = SECRET, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def event(type: str, obj: dict[str, Any], *, id: str | None = None) -> dict[str, Any]:
    return {
        "id": id or new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }


def refund(
    charge: str,
    amount: int,
    *,
    id: str | None = None,
    status: str = "succeeded",
    metadata: dict[str, str] | None = None,
    failure_reason: str | None = None,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """A Refund (``re_...``) of ``charge``."""
    return {
        "id": id or new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge,
        "created": int(time.time()),
        "currency": "usd",
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "failure_reason": failure_reason,
        "metadata": metadata or {},
        "payment_intent": payment_intent,
        "reason": "requested_by_customer",
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def charge(
    id: str,
    amount: int,
    amount_refunded: int,
    *,
    refunds: list[dict[str, Any]] | None = None,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """A Charge after a refund; its ``refunds`` list only when given (Stripe leaves it out unless expanded)."""
    obj: dict[str, Any] = {
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "captured": True,
        "currency": "usd",
        "metadata": {},
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": amount_refunded == amount,
        "status": "succeeded",
    }
    if refunds is not None:
        obj["refunds"] = {
            "object": "list",
            "data": refunds,
            "has_more": False,
            "total_count": len(refunds),
            "url": f"/v1/charges/{id}/refunds",
        }
    return obj


def body(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt, indent=2).encode()
