"""The payment processor port: what the ledger asks of a processor, and what it answers.

Adapters (``payments/processors``) implement it; the runner holds the one the app started with and
hands it to each transaction, so no module below the faces builds a processor itself.

No card number ever crosses this port: a card is the processor's payment method (Stripe's
``pm_...``), saved on the processor's customer (``cus_...``) that stands for a client. Every call
that moves money or creates something carries an ``idempotency_key``: the processor returns the
first result again for a repeated key, which makes a retry after a crash or a timeout safe.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    """A refund the processor took. ``pending``: it has not gone through yet (Stripe's ``pending``);
    its event, or ``check_refund`` later, says whether it did."""

    refund_id: str
    charge_id: str
    amount: int
    pending: bool = False


@dataclass(frozen=True)
class CardDetails:
    """A saved payment method as the processor describes it (never its number)."""

    payment_method: str
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


@runtime_checkable
class PaymentProcessor(Protocol):
    """Moves money on a card. Raises ``CardDeclined`` (402) or ``ProcessorUnavailable`` (503).

    No method may be called inside a database transaction: the caller records the movement as
    pending, commits, calls the processor, then settles it (see DESIGN.md).
    """

    name: str

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
        """Capture ``amount`` cents on ``payment_method`` (a ``pm_...`` id), saved on ``customer``
        when it is one of the client's cards (then charged off-session)."""
        ...

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> Refund:
        """Return ``amount`` cents of an earlier charge to its card; ``CardDeclined`` if refused.
        ``metadata`` travels with the refund (its echo in a processor event names our refund)."""
        ...

    def check_refund(self, *, refund_id: str) -> bool:
        """Ask again about a refund the processor answered ``pending``: True when it went through,
        False while it is still pending, ``CardDeclined`` when it failed. Never makes a refund."""
        ...

    def charge_refunds(self, *, charge_id: str) -> tuple[ProcessorRefund, ...] | None:
        """Every refund of a charge as the processor holds them (a webhook may tell only the total),
        or None when the processor keeps no such list (the simulator)."""
        ...

    def create_customer(
        self, *, name: str, email: str | None, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> str:
        """The processor's customer for a client (``cus_...``), made once per client."""
        ...

    def save_card(self, *, customer: str, payment_method: str, idempotency_key: str) -> CardDetails:
        """Attach ``payment_method`` to ``customer`` and describe the card; ``CardDeclined`` when the
        processor refuses it. The answer's ``payment_method`` is the id to charge from now on."""
        ...

    def remove_card(self, *, payment_method: str) -> None:
        """Detach a saved card from its customer (it can no longer be charged)."""
        ...

    def card_setup(self, *, customer: str, idempotency_key: str) -> str | None:
        """A client secret for the processor's own card form (Stripe's SetupIntent), or None when
        the processor has no such form (the simulator offers its test cards instead)."""
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
