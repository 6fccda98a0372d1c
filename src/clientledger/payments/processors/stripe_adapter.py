"""Card charges, saved cards and refunds through Stripe, with the stripe-python v16 client.

Choices made here, and why:

- No card number ever reaches this module. A card is a Stripe PaymentMethod (``pm_...``) saved on
  the Stripe Customer (``cus_...``) that stands for a client: the card form (Stripe Elements, fed by
  ``card_setup``'s SetupIntent) sends the number to Stripe and gives us the ``pm_...`` id. Anything
  else offered as a payment method is refused before any request.
- A charge is one ``POST /v1/payment_intents`` with ``confirm=true``: creating and confirming in
  one request means one idempotency key covers the whole charge, so a retry after a timeout can
  never charge twice. ``allowed_payment_method_types=["card"]`` keeps redirect-based methods out
  (the API version this SDK pins, ``2026-10-28.endive``, takes it instead of the older
  ``payment_method_types``). A saved card (a ``customer`` is given) is charged ``off_session``:
  the client is not at the desk, as Stripe asks for merchant-initiated payments; a card that would
  need the client to authenticate is then declined (``authentication_required``). Without a
  customer, ``error_on_requires_action`` likewise turns a 3-D Secure challenge, which staff cannot
  complete, into a decline instead of a half-finished payment.
- ``Charge.charge_id`` (our ``processor_ref``) is the Stripe **Charge** id (``ch_...``, the
  PaymentIntent's ``latest_charge``), not the PaymentIntent id: the contract calls it "the
  processor's charge id", and Stripe's refund and dispute events (``charge.refunded``,
  ``refund.updated``, a dashboard refund) name the ``charge``, so an event finds its payment by
  the id we stored. A refund is ``POST /v1/refunds`` with ``charge``; an older ``pi_...`` ref (from
  before this choice) is refunded with ``payment_intent``.
- A refund Stripe answers ``succeeded``, ``pending`` or ``requires_action`` is accepted: Stripe
  took it, and should a pending one fail later, its ``refund.updated`` event (``status: failed``)
  says so through the webhook, which names our refund by the ``metadata`` passed here. ``failed``
  or ``canceled`` at once is ``CardDeclined`` with the reason.
- Errors split by whether retrying can help. A final refusal becomes ``CardDeclined`` with
  Stripe's message (``stripe.CardError``, written for the person paying; and
  ``InvalidRequestError`` / ``IdempotencyError``, e.g. "No such PaymentMethod: 'pm_x'" or
  "Charge ... has already been refunded"): the same request will never succeed. Everything else
  (network, Stripe 5xx, rate limit, a bad or revoked API key) becomes ``ProcessorUnavailable``:
  the outcome is unknown or the fix is outside the request, so the caller keeps the movement
  pending and retries with the same idempotency key. The ``stripe.StripeError`` stays on
  ``__cause__``.
- A live key never goes anywhere but over HTTPS, and never with Stripe's test payment methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import stripe

from clientledger.kit.errors import CardDeclined, ClientLedgerError, ProcessorUnavailable
from clientledger.kit.processing import CardDetails, Charge, ProcessorRefund, Refund
from clientledger.payments.processors.base import (
    GENERIC_DECLINE_MESSAGE,
    REFUND_REFUSED_MESSAGE,
    require_key,
    require_positive_cents,
)
from clientledger.payments.processors.stripe_events import processor_refund

if TYPE_CHECKING:
    from stripe.params import (
        CustomerCreateParams,
        PaymentIntentCreateParams,
        RefundCreateParams,
        RefundListParams,
        SetupIntentCreateParams,
    )

DEFAULT_MAX_NETWORK_RETRIES = 2
"""Safe because every request that moves money carries an idempotency key: Stripe replays it."""

DEFAULT_TIMEOUT = (5.0, 30.0)
"""Seconds to connect, then to wait for an answer: a desk never waits Stripe's default 80 s."""

_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_TEST_PAYMENT_METHOD_PREFIX = "pm_card_"
_REFUSED_REFUND_STATUSES = frozenset({"failed", "canceled"})
_REFUND_FAILURE_REASONS = {
    "expired_or_canceled_card": "the card has expired or was canceled",
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "declined": "the card's bank declined it",
    "insufficient_funds": "the account has insufficient funds",
    "merchant_request": "the refund was canceled",
    "charge_for_pending_refund_disputed": "the charge is disputed",
}


class StripeProcessor:
    """``PaymentProcessor`` backed by Stripe. Build one per process and share it: it is thread-safe.

    ``api_base`` points the SDK at another address than ``https://api.stripe.com`` (a local fake
    in tests, or a proxy); ``client`` replaces the SDK client altogether.
    """

    name: str = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        client: stripe.StripeClient | None = None,
        currency: str = "usd",
        max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("StripeProcessor needs a Stripe secret API key (sk_test_... or sk_live_...)")
        self._test_mode = api_key.startswith(_TEST_KEY_PREFIXES)
        api_base = (api_base or "").strip().rstrip("/") or None
        if api_base is not None and not self._test_mode and not api_base.startswith("https://"):
            raise ValueError("a live Stripe key is only ever sent over https://")
        if client is None:
            client = stripe.StripeClient(
                api_key,
                base_addresses={"api": api_base} if api_base is not None else None,
                max_network_retries=max_network_retries,
                http_client=stripe.RequestsClient(timeout=timeout),
            )
        self._client = client
        self._currency = currency

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
        self._require_payment_method(payment_method)
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": self._currency,
            "payment_method": payment_method,
            "confirm": True,
            "allowed_payment_method_types": ["card"],
            "expand": ["payment_method", "latest_charge"],
        }
        if description:
            params["description"] = description
        if metadata:
            params["metadata"] = dict(metadata)
        if customer:
            params["customer"] = customer
            params["off_session"] = True
        else:
            params["error_on_requires_action"] = True
        try:
            intent = self._client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if intent.status != "succeeded":
            raise CardDeclined(_unfinished_message(intent))
        charge = intent.latest_charge
        charge_id = charge.id if isinstance(charge, stripe.Charge) else (charge or intent.id)
        brand, last4 = _card_of(intent)
        return Charge(charge_id=charge_id, amount=intent.amount, card_last4=last4, card_brand=brand)

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> Refund:
        require_positive_cents(amount)
        require_key(idempotency_key)
        if not isinstance(charge_id, str) or not charge_id.strip():
            raise ValueError("charge_id must be a non-empty string")
        params: RefundCreateParams = {"amount": amount}
        if charge_id.startswith("pi_"):
            params["payment_intent"] = charge_id
        else:
            params["charge"] = charge_id
        if metadata:
            params["metadata"] = dict(metadata)
        try:
            refund = self._client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return Refund(refund_id=refund.id, charge_id=charge_id, amount=refund.amount, pending=not _went_through(refund))

    def check_refund(self, *, refund_id: str) -> bool:
        if not isinstance(refund_id, str) or not refund_id.startswith("re_"):
            raise ValueError("refund_id must be a Stripe refund id (re_...)")
        try:
            refund = self._client.v1.refunds.retrieve(refund_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _went_through(refund)

    def charge_refunds(self, *, charge_id: str) -> tuple[ProcessorRefund, ...] | None:
        if not isinstance(charge_id, str) or not charge_id.strip():
            raise ValueError("charge_id must be a non-empty string")
        params: RefundListParams = {"limit": 100}
        if charge_id.startswith("pi_"):
            params["payment_intent"] = charge_id
        else:
            params["charge"] = charge_id
        try:
            page = self._client.v1.refunds.list(params)
            return tuple(processor_refund(r.to_dict()) for r in page.auto_paging_iter())
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def create_customer(
        self, *, name: str, email: str | None, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> str:
        require_key(idempotency_key)
        params: CustomerCreateParams = {"name": name}
        if email:
            params["email"] = email
        if metadata:
            params["metadata"] = dict(metadata)
        try:
            customer = self._client.v1.customers.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return customer.id

    def save_card(self, *, customer: str, payment_method: str, idempotency_key: str) -> CardDetails:
        """Attach the payment method; a test id such as ``pm_card_visa`` comes back as a new ``pm_...``."""
        require_key(idempotency_key)
        self._require_payment_method(payment_method)
        if not isinstance(customer, str) or not customer.strip():
            raise ValueError("customer must be a non-empty string")
        try:
            attached = self._client.v1.payment_methods.attach(
                payment_method, {"customer": customer}, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        card = attached.card
        if card is None:
            raise CardDeclined("Only cards can be saved: this payment method is not a card.")
        return CardDetails(
            payment_method=attached.id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def remove_card(self, *, payment_method: str) -> None:
        """Detach the card. One Stripe no longer knows, or that is attached to no one, is gone already."""
        self._require_payment_method(payment_method)
        try:
            self._client.v1.payment_methods.detach(payment_method)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 or "not attached" in str(exc.user_message or ""):
                return
            raise _translate(exc) from exc
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def card_setup(self, *, customer: str, idempotency_key: str) -> str | None:
        """A SetupIntent's client secret, for Stripe Elements to save a card for later off-session use."""
        require_key(idempotency_key)
        if not isinstance(customer, str) or not customer.strip():
            raise ValueError("customer must be a non-empty string")
        params: SetupIntentCreateParams = {
            "customer": customer,
            "usage": "off_session",
            "allowed_payment_method_types": ["card"],
        }
        try:
            intent = self._client.v1.setup_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return intent.client_secret

    def _require_payment_method(self, payment_method: str) -> None:
        """Only a Stripe payment-method id is ever sent: never a card number, never free text."""
        if not isinstance(payment_method, str) or not payment_method.startswith("pm_"):
            raise CardDeclined("Only a card saved with the card processor (a pm_... payment method) can be used.")
        if not self._test_mode and payment_method.startswith(_TEST_PAYMENT_METHOD_PREFIX):
            raise CardDeclined(f"{GENERIC_DECLINE_MESSAGE} Your request was in live mode, but used a known test card.")


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


def _went_through(refund: stripe.Refund) -> bool:
    """Whether Stripe says the refund went through; ``CardDeclined`` when it failed or was canceled."""
    if refund.status in _REFUSED_REFUND_STATUSES:
        raise CardDeclined(_refund_refused_message(refund))
    return refund.status == "succeeded"


def _refund_refused_message(refund: stripe.Refund) -> str:
    reason = refund.failure_reason or ""
    detail = _REFUND_FAILURE_REASONS.get(reason, reason.replace("_", " ") or refund.status or "")
    return f"{REFUND_REFUSED_MESSAGE[:-1]}: {detail}." if detail else REFUND_REFUSED_MESSAGE


def _card_of(intent: stripe.PaymentIntent) -> tuple[str | None, str]:
    """Brand and last four digits, from the expanded payment method, else from the charge."""
    payment_method = intent.payment_method
    if isinstance(payment_method, stripe.PaymentMethod) and payment_method.card is not None:
        return payment_method.card.brand, payment_method.card.last4
    charge = intent.latest_charge
    details = charge.payment_method_details if isinstance(charge, stripe.Charge) else None
    card = details.card if details is not None else None
    if card is not None:
        return card.brand, card.last4 or ""
    return None, ""
