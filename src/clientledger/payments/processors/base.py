"""The one interface every payment processor adapter implements, and the card rules they share.

Services depend on ``PaymentProcessor`` only, so the simulator (tests, demos, benchmarks) and
Stripe (production) are interchangeable. Both adapters speak the same language about test cards:
``TEST_CARDS`` is the single table of Stripe's documented test PaymentMethod ids, the card each
one stands for and the decline it produces, so an id that declines in the simulator declines the
same way against Stripe's test mode. No card number appears here or anywhere else: a card is the
processor's payment method.

Every call carries an ``idempotency_key``: a processor must return the first result again for a
repeated key, which is what makes retrying a charge or refund after a crash safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientledger.kit.processing import CardDetails, Charge, PaymentProcessor, Refund

__all__ = [
    "DEFAULT_PAYMENT_METHOD",
    "GENERIC_DECLINE_MESSAGE",
    "REFUND_REFUSED_MESSAGE",
    "TEST_CARDS",
    "TEST_CARDS_BY_PAYMENT_METHOD",
    "CardDetails",
    "Charge",
    "PaymentProcessor",
    "Refund",
    "StripeTestCard",
    "require_key",
    "require_positive_cents",
]

DEFAULT_PAYMENT_METHOD = "pm_card_visa"
"""What the simulator charges for a client without a card on file (demos and tests need no set-up)."""

REFUND_REFUSED_MESSAGE = "The card's bank refused the refund."
GENERIC_DECLINE_MESSAGE = "Your card was declined."


@dataclass(frozen=True)
class StripeTestCard:
    """One of Stripe's documented test payment methods; ``decline_message`` is None when it succeeds."""

    payment_method: str
    brand: str
    last4: str
    decline_message: str | None = None
    refund_fails: bool = False


TEST_CARDS: tuple[StripeTestCard, ...] = (
    StripeTestCard("pm_card_visa", "visa", "4242"),
    StripeTestCard("pm_card_mastercard", "mastercard", "4444"),
    StripeTestCard("pm_card_amex", "amex", "0005"),
    StripeTestCard("pm_card_discover", "discover", "1117"),
    StripeTestCard("pm_card_visa_chargeDeclined", "visa", "0002", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("pm_card_chargeDeclined", "visa", "0002", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("pm_card_refundFail", "visa", "5126", refund_fails=True),
    StripeTestCard("pm_card_visa_chargeDeclinedInsufficientFunds", "visa", "9995", "Your card has insufficient funds."),
    StripeTestCard("pm_card_visa_chargeDeclinedLostCard", "visa", "9987", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("pm_card_visa_chargeDeclinedStolenCard", "visa", "9979", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("pm_card_chargeDeclinedExpiredCard", "visa", "0069", "Your card has expired."),
    StripeTestCard("pm_card_chargeDeclinedIncorrectCvc", "visa", "0127", "Your card's security code is incorrect."),
    StripeTestCard(
        "pm_card_chargeDeclinedProcessingError",
        "visa",
        "0119",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
)
TEST_CARDS_BY_PAYMENT_METHOD: dict[str, StripeTestCard] = {card.payment_method: card for card in TEST_CARDS}


def require_positive_cents(amount: int) -> None:
    """Refuse anything but a positive ``int`` before it can reach a processor.

    ``bool`` is refused too: ``True`` is an ``int`` to Python but never an amount of money.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"amount must be int cents, got {type(amount).__name__}")
    if amount <= 0:
        raise ValueError(f"amount must be > 0 cents, got {amount}")


def require_key(idempotency_key: str) -> None:
    """A blank key would make unrelated requests replay each other."""
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValueError("idempotency_key must be a non-empty string")
