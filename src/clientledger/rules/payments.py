"""Rule 4: a card/cash/check payment pays the bill; anything beyond the balance due becomes credit."""

from __future__ import annotations

from dataclasses import dataclass

from clientledger.kit.errors import ValidationFailed


@dataclass(frozen=True)
class PaymentSplit:
    applied: int
    to_credit: int


def split_payment(*, amount: int, balance_due: int) -> PaymentSplit:
    if amount <= 0:
        raise ValidationFailed("amount must be greater than 0")
    applied = min(amount, max(balance_due, 0))
    return PaymentSplit(applied=applied, to_credit=amount - applied)
