"""Rule 7: a refund of a payment comes from that payment's remaining credit first, then its bill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clientledger.kit.errors import ExceedsRefundable, ValidationFailed
from clientledger.rules.credit import Draw, LotBalance, draw_fifo


@dataclass(frozen=True)
class RefundPlan:
    amount: int
    from_lots: list[Draw]
    from_bill: int

    @property
    def from_credit(self) -> int:
        return sum(d.amount for d in self.from_lots)


def refundable(*, captured: int, refunded: int, own_credit: Sequence[LotBalance], on_bill: int) -> int:
    """What can still go back: never more than captured - refunded, nor than the payment still holds."""
    return max(0, min(captured - refunded, sum(lot.remaining for lot in own_credit) + on_bill))


def plan_refund(
    *, amount: int | None, captured: int, refunded: int, own_credit: Sequence[LotBalance], on_bill: int
) -> RefundPlan:
    """Split a refund of ``amount`` (``None``: all refundable) between the payment's credit and its bill."""
    limit = refundable(captured=captured, refunded=refunded, own_credit=own_credit, on_bill=on_bill)
    if amount is None:
        amount = limit
        if amount == 0:
            raise ExceedsRefundable("Nothing of this payment is left to refund.")
    if amount <= 0:
        raise ValidationFailed("amount must be greater than 0")
    if amount > limit:
        raise ExceedsRefundable(
            "At most {limit} of this payment can be refunded; {asked} was asked.", limit=limit, asked=amount
        )
    from_credit = min(amount, sum(lot.remaining for lot in own_credit))
    return RefundPlan(amount=amount, from_lots=draw_fifo(own_credit, from_credit), from_bill=amount - from_credit)


def plan_line_refund(*, amount: int | None, line_amount: int) -> int:
    """Rule 8: a client_credit (or discount) line gives back at most what it now pays."""
    if amount is None:
        amount = line_amount
        if amount == 0:
            raise ExceedsRefundable("This line has nothing left to refund.")
    if amount <= 0:
        raise ValidationFailed("amount must be greater than 0")
    if amount > line_amount:
        raise ExceedsRefundable(
            "This line pays {line_amount}; {asked} cannot be refunded.", line_amount=line_amount, asked=amount
        )
    return amount
