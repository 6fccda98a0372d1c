"""Reading Stripe's webhook events: the signature first (Stripe's SDK checks it), then the refunds they tell of."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from clientledger.kit.errors import InvalidSignature
from clientledger.kit.processing import ProcessorEvent
from clientledger.payments.processors.stripe_events import read_stripe_event
from tests.support import stripe_events as stripe


def _read(evt: dict[str, Any], **sign_args: Any) -> ProcessorEvent:
    payload = stripe.body(evt)
    return read_stripe_event(payload, stripe.sign(payload, **sign_args), stripe.SECRET)


def test_a_refund_event_names_its_charge_and_payment_intent_and_our_ids() -> None:
    refund = stripe.refund(
        "ch_1",
        2500,
        payment_intent="pi_1",
        metadata={"clientledger_refund_id": "rf_1", "clientledger_practice_id": "pr_1"},
    )
    event = read_stripe_event(
        stripe.body(evt := stripe.event("refund.created", refund)), stripe.sign(stripe.body(evt)), stripe.SECRET
    )

    assert (event.id, event.type, event.charge_refs) == (evt["id"], "refund.created", ("ch_1", "pi_1"))
    [told] = event.refunds
    assert (told.refund_id, told.amount, told.status, told.failed) == (refund["id"], 2500, "succeeded", False)
    assert (told.our_refund_id, told.our_practice_id) == ("rf_1", "pr_1")


@pytest.mark.parametrize("kind", ["refund.updated", "refund.failed", "charge.refund.updated"])
def test_a_failed_refund_is_failed_with_its_reason(kind: str) -> None:
    refund = stripe.refund("ch_1", 100, status="failed", failure_reason="lost_or_stolen_card")

    event = _read(stripe.event(kind, refund))

    [told] = event.refunds
    assert told.failed and told.failure_reason == "lost_or_stolen_card"


def test_a_charge_without_its_refund_list_tells_only_its_total() -> None:
    bare = _read(stripe.event("charge.refunded", stripe.charge("ch_1", 9000, 4000, payment_intent="pi_1")))
    listed = _read(
        stripe.event("charge.refunded", stripe.charge("ch_1", 9000, 4000, refunds=[stripe.refund("ch_1", 4000)]))
    )
    cut = stripe.charge("ch_1", 9000, 4000, refunds=[stripe.refund("ch_1", 1000)])
    cut["refunds"]["has_more"] = True

    assert (bare.charge_refs, bare.refunds, bare.amount_refunded, bare.refunds_complete) == (
        ("ch_1", "pi_1"),
        (),
        4000,
        False,
    )
    assert listed.refunds_complete and [r.amount for r in listed.refunds] == [4000]
    assert not _read(stripe.event("charge.refunded", cut)).refunds_complete


def test_other_events_are_read_but_name_no_charge() -> None:
    event = _read(stripe.event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}))

    assert (event.type, event.charge_refs) == ("payment_intent.succeeded", ())


def test_only_a_fresh_signature_with_the_secret_is_accepted() -> None:
    payload = stripe.body(stripe.event("refund.created", stripe.refund("ch_1", 100)))
    refused = [
        (payload, None, stripe.SECRET),
        (payload, "garbage", stripe.SECRET),
        (payload, stripe.sign(payload, "whsec_other"), stripe.SECRET),
        (payload, stripe.sign(payload, timestamp=int(time.time()) - 301), stripe.SECRET),
        (payload, stripe.sign(payload), None),
        (b"\xff\xfe", stripe.sign(payload), stripe.SECRET),
        (b"not json", stripe.sign(b"not json"), stripe.SECRET),
        (b"[]", stripe.sign(b"[]"), stripe.SECRET),
        (json.dumps({"id": "evt_1"}).encode(), stripe.sign(json.dumps({"id": "evt_1"}).encode()), stripe.SECRET),
    ]
    for body, signature, secret in refused:
        with pytest.raises(InvalidSignature):
            read_stripe_event(body, signature, secret)
    assert read_stripe_event(payload, stripe.sign(payload, timestamp=int(time.time()) - 200), stripe.SECRET)
