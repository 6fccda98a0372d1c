"""One named exception per broken rule, each carrying its API error code and HTTP status.

The HTTP layer maps every ``ClientLedgerError`` to ``{"error": {"code", "message"}}`` in one handler;
the web UI shows the same sentence next to the form. Raising one of these inside a unit of work
rolls the whole use case back, so a refused request changes nothing.

Amounts travel as fields, not as text: ``ExceedsRefundable("At most {limit} ...", limit=4500)``.
``message`` writes them as the API counts money (``4500 cents``); ``describe(format_cents)``
writes them as a person reads them (``$45.00``), which is what the web UI shows.
"""

from __future__ import annotations

from collections.abc import Callable


def _cents(amount: int) -> str:
    return f"{amount} cents"


class ClientLedgerError(Exception):
    code: str = "error"
    status_code: int = 400

    def __init__(self, message: str, **amounts: int) -> None:
        self.template = message
        self.amounts = amounts
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.describe(_cents)

    def describe(self, money: Callable[[int], str]) -> str:
        """The sentence with each amount written by ``money``."""
        if not self.amounts:
            return self.template
        return self.template.format(**{name: money(amount) for name, amount in self.amounts.items()})


class ValidationFailed(ClientLedgerError):
    code = "validation_error"
    status_code = 422


class NotFound(ClientLedgerError):
    code = "not_found"
    status_code = 404


class InsufficientCredit(ClientLedgerError):
    code = "insufficient_credit"
    status_code = 422


class ExceedsBalanceDue(ClientLedgerError):
    code = "exceeds_balance_due"
    status_code = 422


class ExceedsRefundable(ClientLedgerError):
    code = "exceeds_refundable"
    status_code = 422


class IdempotencyKeyReused(ClientLedgerError):
    code = "idempotency_key_reused"
    status_code = 409


class AlreadySubmitted(ClientLedgerError):
    """The same web form (its one-time code) arrived again after it was carried out."""

    code = "already_submitted"
    status_code = 409


class UseRefund(ClientLedgerError):
    code = "use_refund"
    status_code = 409


class CreditAlreadyUsed(ClientLedgerError):
    code = "credit_already_used"
    status_code = 409


class PaymentDeleted(ClientLedgerError):
    """The payment was removed as recorded in error: there is nothing left to refund."""

    code = "payment_deleted"
    status_code = 409


class InsurancePaid(ClientLedgerError):
    code = "insurance_paid"
    status_code = 409


class BillVoid(ClientLedgerError):
    """Nothing is billed on the bill any more (every session canceled or missed at no fee)."""

    code = "bill_void"
    status_code = 409


class Conflict(ClientLedgerError):
    """A request that contradicts the object's state (e.g. billing an appointment twice)."""

    code = "conflict"
    status_code = 409


class AlreadyInHousehold(ClientLedgerError):
    """A client belongs to at most one household."""

    code = "already_in_household"
    status_code = 409


class CardDeclined(ClientLedgerError):
    code = "card_declined"
    status_code = 402


class NoCardOnFile(CardDeclined):
    """A card payment without a payment method, and none on file to charge: nothing was recorded.

    A kind of ``CardDeclined`` (the processor charged nothing), answered as the contract names it.
    """

    code = "no_card_on_file"
    status_code = 422


class ProcessorUnavailable(ClientLedgerError):
    """The payment processor could not be reached; nothing was recorded, the request may be retried."""

    code = "processor_unavailable"
    status_code = 503


class InvalidSignature(ClientLedgerError):
    """A processor event whose signature is missing, wrong or too old (or no secret to check it with):
    it is not the processor speaking, so nothing is done."""

    code = "invalid_signature"
    status_code = 400


class Forbidden(ClientLedgerError):
    code = "forbidden"
    status_code = 403


class Unauthorized(ClientLedgerError):
    code = "unauthorized"
    status_code = 401


class RateLimited(ClientLedgerError):
    code = "rate_limited"
    status_code = 429
