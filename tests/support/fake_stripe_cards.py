"""Stripe's test payment methods, ids and errors, as the fake Stripe API (``fake_stripe``) answers them.

Each ``pm_card_...`` id behaves as Stripe documents it; using one mints a new ``pm_...`` (as Stripe
does), which remembers the card it came from.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
Params = dict[str, Any]

API_VERSION = "2026-10-28.endive"
DECLINED = "Your card was declined."


class StripeFault(Exception):
    """Stripe's answer to a refused request. ``saved``: Stripe began executing it, so an
    idempotent retry replays this answer (card declines); validation errors are not saved."""

    def __init__(self, status: int, error: Obj, *, saved: bool = False) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error
        self.saved = saved


def invalid(message: str, *, param: str | None = None, code: str | None = None, status: int = 400) -> StripeFault:
    error: Obj = {"type": "invalid_request_error", "message": message}
    if param is not None:
        error["param"] = param
    if code is not None:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    return StripeFault(status, error)


def no_such(kind: str, object_id: str, *, param: str | None = None) -> StripeFault:
    """404 for an id in the URL, 400 for one named by a parameter, as Stripe answers."""
    status = 400 if param is not None else 404
    return invalid(f"No such {kind}: '{object_id}'", param=param, code="resource_missing", status=status)


@dataclass(frozen=True)
class FakeCard:
    brand: str
    last4: str
    decline_code: str | None = None  # the charge is declined with it
    code: str = "card_declined"
    message: str = DECLINED
    attach_declined: bool = True  # a declining card is refused when saved, too
    refund_fails: bool = False
    needs_authentication: bool = False


_INSUFFICIENT = FakeCard("visa", "9995", "insufficient_funds", message="Your card has insufficient funds.")
_EXPIRED = FakeCard("visa", "0069", "expired_card", code="expired_card", message="Your card has expired.")
_CVC = FakeCard(
    "visa", "0127", "incorrect_cvc", code="incorrect_cvc", message="Your card's security code is incorrect."
)
_PROCESSING = FakeCard(
    "visa",
    "0119",
    "processing_error",
    code="processing_error",
    message="An error occurred while processing your card. Try again in a little bit.",
)
TEST_PAYMENT_METHODS: dict[str, FakeCard] = {
    "pm_card_visa": FakeCard("visa", "4242"),
    "pm_card_visa_debit": FakeCard("visa", "5556"),
    "pm_card_mastercard": FakeCard("mastercard", "4444"),
    "pm_card_amex": FakeCard("amex", "0005"),
    "pm_card_discover": FakeCard("discover", "1117"),
    "pm_card_chargeDeclined": FakeCard("visa", "0002", "generic_decline"),
    "pm_card_visa_chargeDeclined": FakeCard("visa", "0002", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": _INSUFFICIENT,
    "pm_card_visa_chargeDeclinedInsufficientFunds": _INSUFFICIENT,
    "pm_card_visa_chargeDeclinedLostCard": FakeCard("visa", "9987", "lost_card"),
    "pm_card_visa_chargeDeclinedStolenCard": FakeCard("visa", "9979", "stolen_card"),
    "pm_card_chargeDeclinedExpiredCard": _EXPIRED,
    "pm_card_chargeDeclinedIncorrectCvc": _CVC,
    "pm_card_chargeDeclinedProcessingError": _PROCESSING,
    "pm_card_chargeCustomerFail": FakeCard("visa", "0341", "generic_decline", attach_declined=False),
    "pm_card_refundFail": FakeCard("visa", "5126", refund_fails=True),
    "pm_card_authenticationRequired": FakeCard("visa", "3184", needs_authentication=True),
}
AUTH_MESSAGE = "Your card was declined. This transaction requires authentication."

_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALNUM) for _ in range(24))}"


def decline(card: FakeCard, *, extra: Obj) -> StripeFault:
    error: Obj = {
        "type": "card_error",
        "code": card.code,
        "decline_code": card.decline_code,
        "message": card.message,
        "doc_url": f"https://stripe.com/docs/error-codes/{card.code.replace('_', '-')}",
        "request_log_url": "https://dashboard.stripe.com/test/logs",
        **extra,
    }
    return StripeFault(402, error, saved=True)
