"""A processor that behaves like Stripe's test mode without a network, for tests, demos and benchmarks.

It keeps no state: every id is a hash of the idempotency key, so several API worker processes
(or a restarted one) give the same answer to the same request, exactly as Stripe replays an
idempotent request. It does no I/O and never sleeps, because it sits on the benchmark's hot path.
"""

from __future__ import annotations

import hashlib

from clientledger.kit.errors import CardDeclined
from clientledger.payments.processors.base import (
    CARD_ON_FILE_NUMBER,
    REFUND_REFUSED_MESSAGE,
    TEST_CARDS_BY_NUMBER,
    TEST_CARDS_BY_PAYMENT_METHOD,
    Charge,
    Refund,
    StripeTestCard,
    normalize_card_number,
    require_key,
    require_positive_cents,
)

CHARGE_PREFIX = "ch_sim_"
REFUND_FAILS_PREFIX = "ch_sim_rf_"
"""Charges of ``pm_card_refundFail``: the simulator keeps no state, so the charge id says it."""
REFUND_PREFIX = "re_sim_"


def _key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:24]


class SimulatedProcessor:
    """Stripe's test-card semantics: 4242... succeeds, 4000...0002 declines, and so on.

    Any other number that passes the Luhn check succeeds (``StripeProcessor`` refuses those: it
    never sends raw numbers). Stripe's test PaymentMethod ids (``pm_card_visa``,
    ``pm_card_visa_chargeDeclined``...) are accepted in place of a number, as they are by Stripe.
    """

    name: str = "simulated"

    def charge(
        self,
        *,
        amount: int,
        card_number: str | None,
        idempotency_key: str,
        description: str = "",
    ) -> Charge:
        require_positive_cents(amount)
        require_key(idempotency_key)
        card = _authorize(card_number)
        prefix = REFUND_FAILS_PREFIX if card.refund_fails else CHARGE_PREFIX
        return Charge(
            charge_id=prefix + _key_digest(idempotency_key),
            amount=amount,
            card_last4=card.last4,
            card_brand=card.brand,
        )

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str) -> Refund:
        """Succeeds, but for charges of ``pm_card_refundFail``, whose every refund is refused.

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


def _authorize(card_number: str | None) -> StripeTestCard:
    """The card charged, or ``CardDeclined`` as Stripe's test mode would answer."""
    if card_number is None:
        return TEST_CARDS_BY_NUMBER[CARD_ON_FILE_NUMBER]
    known = TEST_CARDS_BY_PAYMENT_METHOD.get(card_number)
    if known is None:
        digits = normalize_card_number(card_number)
        known = TEST_CARDS_BY_NUMBER.get(digits) or StripeTestCard(digits, "")
    if known.decline_message is not None:
        raise CardDeclined(known.decline_message)
    return known
