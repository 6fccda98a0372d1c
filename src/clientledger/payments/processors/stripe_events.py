"""Stripe's webhook events in: the signature checked by Stripe's own SDK, the event read as the ledger needs it.

Stripe signs ``<t>.<body>`` with the endpoint's secret (``Stripe-Signature: t=...,v1=...``); the
SDK's ``WebhookSignature.verify_header`` checks it in constant time and refuses one older than the
tolerance (5 minutes, Stripe's default), which is what stops a captured event being replayed later.

Only the refund events are read further: ``refund.created`` / ``refund.updated`` (a Refund) and
``charge.refunded`` (a Charge, whose ``refunds`` list is present only when it was expanded, so its
``amount_refunded`` is what says how much went back when the list is absent or cut short).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import stripe

from clientledger.kit.errors import InvalidSignature
from clientledger.kit.processing import METADATA_PRACTICE_ID, METADATA_REFUND_ID, ProcessorEvent, ProcessorRefund

SIGNATURE_TOLERANCE_SECONDS = 300

# ``refund.failed`` is sent by newer API versions, ``charge.refund.updated`` by older ones: a Refund each.
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})
CHARGE_REFUNDED = "charge.refunded"
HANDLED_EVENTS = REFUND_EVENTS | {CHARGE_REFUNDED}


def read_stripe_event(payload: bytes, signature: str | None, secret: str | None) -> ProcessorEvent:
    """The event Stripe sent, once its signature proves it is Stripe's; ``InvalidSignature`` otherwise."""
    if not secret:
        raise InvalidSignature("Stripe events are not accepted: no webhook signing secret is configured.")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise InvalidSignature(f"The Stripe-Signature header does not verify: {exc}") from exc
    try:
        event = json.loads(payload)
        return _event(event)
    except (ValueError, TypeError, KeyError) as exc:
        # Signed by Stripe but not an event we can read: refused the same way, nothing is done.
        raise InvalidSignature("The signed body is not a Stripe event.") from exc


def _event(event: Any) -> ProcessorEvent:
    if not isinstance(event, Mapping) or not isinstance(event["id"], str) or not isinstance(event["type"], str):
        raise TypeError("not an event")
    kind = event["type"]
    if kind not in HANDLED_EVENTS:
        return ProcessorEvent(id=event["id"], type=kind, charge_refs=())
    obj = event["data"]["object"]
    if not isinstance(obj, Mapping):
        raise TypeError("the event's object is not an object")
    if kind in REFUND_EVENTS:
        refund = processor_refund(obj)
        return ProcessorEvent(id=event["id"], type=kind, charge_refs=refund.charge_refs, refunds=(refund,))
    charge_refs = _refs(obj.get("id"), obj.get("payment_intent"))
    listed = obj.get("refunds")
    data = listed.get("data") if isinstance(listed, Mapping) else None
    refunds = tuple(processor_refund(r, charge_refs=charge_refs) for r in data) if isinstance(data, list) else ()
    return ProcessorEvent(
        id=event["id"],
        type=kind,
        charge_refs=charge_refs,
        refunds=refunds,
        amount_refunded=_cents(obj.get("amount_refunded", 0)),
        refunds_complete=isinstance(data, list) and not (isinstance(listed, Mapping) and listed.get("has_more")),
    )


def processor_refund(obj: Mapping[str, Any], *, charge_refs: tuple[str, ...] = ()) -> ProcessorRefund:
    """A Stripe Refund object (from an event, or the API's list) as the ledger reads it."""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    failure = obj.get("failure_reason")
    return ProcessorRefund(
        refund_id=str(obj["id"]),
        amount=_cents(obj["amount"]),
        status=str(obj.get("status") or "succeeded"),
        charge_refs=_refs(obj.get("charge"), obj.get("payment_intent"), *charge_refs),
        our_refund_id=_text(metadata.get(METADATA_REFUND_ID)),
        our_practice_id=_text(metadata.get(METADATA_PRACTICE_ID)),
        failure_reason=_text(failure),
    )


def _refs(*values: Any) -> tuple[str, ...]:
    """The ids naming a charge; an expanded object names it by its ``id``."""
    out: list[str] = []
    for value in values:
        if isinstance(value, Mapping):
            value = value.get("id")
        if isinstance(value, str) and value and value not in out:
            out.append(value)
    return tuple(out)


def _cents(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError("an amount is not int cents")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
