"""The one interface every payment processor adapter implements, and the card rules they share.

Services depend on ``PaymentProcessor`` only, so the simulator (tests, demos, benchmarks) and
Stripe (production) are interchangeable. Both adapters speak the same language about test cards:
``TEST_CARDS`` is the single table of Stripe's documented test numbers, their test PaymentMethod
ids and the decline each one produces, so a number that declines in the simulator declines the
same way against Stripe's test mode.

Every call carries an ``idempotency_key``: a processor must return the first result again for a
repeated key, which is what makes retrying a charge or refund after a crash safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientledger.kit.errors import CardDeclined
from clientledger.kit.processing import Charge, PaymentProcessor, Refund

__all__ = ["Charge", "PaymentProcessor", "Refund"]

CARD_ON_FILE_NUMBER = "4242424242424242"
"""What ``card_number=None`` means for the simulator and for Stripe's test mode."""

INCORRECT_NUMBER_MESSAGE = "Your card number is incorrect."
REFUND_REFUSED_MESSAGE = "The card's bank refused the refund."
GENERIC_DECLINE_MESSAGE = "Your card was declined."


@dataclass(frozen=True)
class StripeTestCard:
    """One of Stripe's documented test cards; ``decline_message`` is None when it succeeds."""

    number: str
    payment_method: str
    decline_message: str | None = None
    refund_fails: bool = False

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return card_brand(self.number)


TEST_CARDS: tuple[StripeTestCard, ...] = (
    StripeTestCard("4242424242424242", "pm_card_visa"),
    StripeTestCard("5555555555554444", "pm_card_mastercard"),
    StripeTestCard("378282246310005", "pm_card_amex"),
    StripeTestCard("6011111111111117", "pm_card_discover"),
    StripeTestCard("4000000000000002", "pm_card_visa_chargeDeclined", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("4000000000000002", "pm_card_chargeDeclined", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("4000000000005126", "pm_card_refundFail", refund_fails=True),
    StripeTestCard(
        "4000000000009995",
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "Your card has insufficient funds.",
    ),
    StripeTestCard("4000000000009987", "pm_card_visa_chargeDeclinedLostCard", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("4000000000009979", "pm_card_visa_chargeDeclinedStolenCard", GENERIC_DECLINE_MESSAGE),
    StripeTestCard("4000000000000069", "pm_card_chargeDeclinedExpiredCard", "Your card has expired."),
    StripeTestCard(
        "4000000000000127",
        "pm_card_chargeDeclinedIncorrectCvc",
        "Your card's security code is incorrect.",
    ),
    StripeTestCard(
        "4000000000000119",
        "pm_card_chargeDeclinedProcessingError",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
)
TEST_CARDS_BY_NUMBER: dict[str, StripeTestCard] = {}
for _card in TEST_CARDS:
    TEST_CARDS_BY_NUMBER.setdefault(_card.number, _card)
TEST_CARDS_BY_PAYMENT_METHOD: dict[str, StripeTestCard] = {card.payment_method: card for card in TEST_CARDS}

_SEPARATORS = str.maketrans("", "", " -")


_BRANDS = (("4", "visa"), ("5", "mastercard"), ("2", "mastercard"), ("34", "amex"), ("37", "amex"), ("6", "discover"))


def card_brand(number: str) -> str:
    """The card network a number belongs to, by its leading digits (as processors report it)."""
    for prefix, brand in _BRANDS:
        if number.startswith(prefix):
            return brand
    return "unknown"


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


def luhn_valid(digits: str) -> bool:
    """The checksum every card number carries; catches a mistyped digit before any network call."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalize_card_number(card_number: str) -> str:
    """Digits only, as staff may type ``4242 4242 4242 4242`` or ``4242-4242-...``.

    Raises ``CardDeclined`` with Stripe's wording when the result cannot be a card number.
    """
    digits = card_number.translate(_SEPARATORS)
    if not (12 <= len(digits) <= 19 and digits.isascii() and digits.isdigit() and luhn_valid(digits)):
        raise CardDeclined(INCORRECT_NUMBER_MESSAGE)
    return digits
