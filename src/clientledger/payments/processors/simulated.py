"""A processor that behaves like Stripe's test mode without a network, for tests, demos and benchmarks.

It keeps no state: every id is a hash of the idempotency key, so several API worker processes
(or a restarted one) give the same answer to the same request, exactly as Stripe replays an
idempotent request. It does no I/O and never sleeps, because it sits on the benchmark's hot path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from clientledger.kit.errors import CardDeclined
from clientledger.kit.processing import ProcessorRefund
from clientledger.payments.processors.base import (
    REFUND_REFUSED_MESSAGE,
    TEST_CARDS_BY_PAYMENT_METHOD,
    CardDetails,
    Charge,
    Refund,
    StripeTestCard,
    require_key,
    require_positive_cents,
)

CHARGE_PREFIX = "ch_sim_"
REFUND_FAILS_PREFIX = "ch_sim_rf_"
"""Charges of ``pm_card_refundFail``: the simulator keeps no state, so the charge id says it."""
REFUND_PREFIX = "re_sim_"
CUSTOMER_PREFIX = "cus_sim_"
TEST_CARD_EXPIRY = (12, 2034)
"""Every simulated card expires on this (future) month, as Stripe's test cards never expire."""


def _key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:24]


class SimulatedProcessor:
    """Stripe's test payment methods: ``pm_card_visa`` succeeds, ``pm_card_chargeDeclined`` declines...

    A saved card keeps its test id (Stripe would give it a new ``pm_...``; the simulator has nowhere
    to remember one), so a saved card is charged, and declines, as its test id does.
    """

    name: str = "simulated"

    def charge(
        self,
        *,
        amount: int,
        payment_method: str,
        customer: str | None,
        idempotency_key: str,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> Charge:
        require_positive_cents(amount)
        require_key(idempotency_key)
        card = _test_card(payment_method)
        if card.decline_message is not None:
            raise CardDeclined(card.decline_message)
        prefix = REFUND_FAILS_PREFIX if card.refund_fails else CHARGE_PREFIX
        return Charge(
            charge_id=prefix + _key_digest(idempotency_key),
            amount=amount,
            card_last4=card.last4,
            card_brand=card.brand,
        )

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> Refund:
        """Succeeds at once, but for charges of ``pm_card_refundFail``, whose every refund is refused.

        Being stateless, the simulator cannot know what was charged: refusing more than is
        refundable is the ledger's job (``exceeds_refundable``), done before the processor is called.
        """
        require_positive_cents(amount)
        require_key(idempotency_key)
        if not isinstance(charge_id, str) or not charge_id.strip():
            raise ValueError("charge_id must be a non-empty string")
        if charge_id.startswith(REFUND_FAILS_PREFIX):
            raise CardDeclined(REFUND_REFUSED_MESSAGE)
        return Refund(refund_id=REFUND_PREFIX + _key_digest(idempotency_key), charge_id=charge_id, amount=amount)

    def check_refund(self, *, refund_id: str) -> bool:
        """The simulator's refunds go through at once: none is ever pending."""
        if not isinstance(refund_id, str) or not refund_id.startswith(REFUND_PREFIX):
            raise ValueError("refund_id must be one of the simulator's refund ids")
        return True

    def charge_refunds(self, *, charge_id: str) -> tuple[ProcessorRefund, ...] | None:
        """Stateless, the simulator keeps no refunds to list."""
        return None

    def create_customer(
        self, *, name: str, email: str | None, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> str:
        require_key(idempotency_key)
        return CUSTOMER_PREFIX + _key_digest(idempotency_key)

    def save_card(self, *, customer: str, payment_method: str, idempotency_key: str) -> CardDetails:
        require_key(idempotency_key)
        card = _test_card(payment_method)
        month, year = TEST_CARD_EXPIRY
        return CardDetails(
            payment_method=card.payment_method, brand=card.brand, last4=card.last4, exp_month=month, exp_year=year
        )

    def remove_card(self, *, payment_method: str) -> None:
        _test_card(payment_method)

    def card_setup(self, *, customer: str, idempotency_key: str) -> str | None:
        return None


def _test_card(payment_method: str) -> StripeTestCard:
    """The test card a payment-method id stands for, or Stripe's answer to an id it does not know."""
    card = TEST_CARDS_BY_PAYMENT_METHOD.get(payment_method)
    if card is None:
        raise CardDeclined(f"No such PaymentMethod: '{payment_method}'.")
    return card
