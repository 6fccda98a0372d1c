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
