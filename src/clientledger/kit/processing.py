"""The payment processor port: what the ledger asks of a processor, and what it answers.

Adapters (``payments/processors``) implement it; the runner holds the one the app started with and
hands it to each transaction, so no module below the faces builds a processor itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Charge:
    charge_id: str
    amount: int
    card_last4: str
    card_brand: str | None = None


@dataclass(frozen=True)
class Refund:
    refund_id: str
    charge_id: str
    amount: int


@runtime_checkable
class PaymentProcessor(Protocol):
    """Moves money on a card. Raises ``CardDeclined`` (402) or ``ProcessorUnavailable`` (503).

    Neither method may be called inside a database transaction: the caller records the movement
    as pending, commits, calls the processor, then settles it (see DESIGN.md).
    """

    name: str

    def charge(
        self,
        *,
        amount: int,
        card_number: str | None,
        idempotency_key: str,
        description: str = "",
    ) -> Charge:
        """Capture ``amount`` cents; ``card_number`` may be a processor payment-method id (``pm_...``);
        None charges the card on file."""
        ...

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str) -> Refund:
        """Return ``amount`` cents of an earlier charge to its card; ``CardDeclined`` if refused."""
        ...


# What clientledger writes on every refund it asks for (the processor's ``metadata``), so the
# processor's event about that refund can be told from a refund made in the processor's dashboard.
METADATA_REFUND_ID = "clientledger_refund_id"
METADATA_PRACTICE_ID = "clientledger_practice_id"


@dataclass(frozen=True)
class ProcessorRefund:
    """A refund as the processor's event describes it (Stripe's ``re_...``)."""

    refund_id: str
    amount: int
    status: str  # Stripe's: pending, requires_action, succeeded, failed, canceled
    charge_refs: tuple[str, ...]  # its charge and payment intent: either may be our ``charge_id``
    our_refund_id: str | None = None  # ``metadata[METADATA_REFUND_ID]``: a refund clientledger asked for
    our_practice_id: str | None = None
    failure_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "canceled")


@dataclass(frozen=True)
class ProcessorEvent:
    """A signed event from the processor, reduced to what the ledger acts on.

    ``refunds`` are the refunds it names (a refund event's own, a charge event's listed ones);
    ``amount_refunded`` is a charge event's total refunded, and ``refunds_complete`` says whether
    ``refunds`` lists every refund of the charge (else the total says what is missing)."""

    id: str
    type: str
    charge_refs: tuple[str, ...]
    refunds: tuple[ProcessorRefund, ...] = ()
    amount_refunded: int | None = None
    refunds_complete: bool = True
