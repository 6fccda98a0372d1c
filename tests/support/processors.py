"""Test doubles of the payment processor port (``kit.processing``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clientledger.payments.processors import Charge, SimulatedProcessor


@dataclass
class StripeLike(SimulatedProcessor):
    """The simulator under Stripe's name: the ledger then treats it as Stripe (no default card to
    fall back on, its own card form), while charges stay Stripe's test payment methods. It keeps
    the charges it made, so a test can tell that nothing was charged."""

    name: str = "stripe"
    charges: list[Charge] = field(default_factory=list)

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
        made = super().charge(
            amount=amount, payment_method=payment_method, customer=customer, idempotency_key=idempotency_key
        )
        self.charges.append(made)
        return made

    def card_setup(self, *, customer: str, idempotency_key: str) -> str | None:
        return f"seti_test_{customer}_secret_test"
