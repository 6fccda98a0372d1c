"""Rules 5 and 6: when what a client owes on a bill falls below what they paid, free the excess.

Order: client_credit lines first (deducted credit goes back to its lots; a discount only shrinks),
newest first; then card/cash/check lines, newest first. What card/cash/check lines free becomes
credit (or a refund, for a canceled session with ``disposition: refund``) with the payment as
provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clientledger.kit.vocabulary import LineType


@dataclass(frozen=True)
class PaidLine:
    line_id: str
    type: str
    amount: int
    deduct_from_credit_balance: bool | None
    payment_id: str | None
    order: str  # sorts oldest first (the line id)


@dataclass(frozen=True)
class Release:
    line_id: str
    type: str
    amount: int
    payment_id: str | None
    deduct_from_credit_balance: bool | None


def excess_paid(*, client_paid: int, client_responsibility: int) -> int:
    return max(0, client_paid - client_responsibility)


def release_order(lines: Sequence[PaidLine]) -> list[PaidLine]:
    credit = sorted((ln for ln in lines if LineType(ln.type).is_credit), key=lambda ln: ln.order, reverse=True)
    money = sorted((ln for ln in lines if not LineType(ln.type).is_credit), key=lambda ln: ln.order, reverse=True)
    return credit + money


def plan_release(lines: Sequence[PaidLine], excess: int) -> list[Release]:
    """Which lines give back how much, so that exactly ``excess`` comes off the bill."""
    releases: list[Release] = []
    left = excess
    for ln in release_order(lines):
        if left == 0:
            break
        take = min(ln.amount, left)
        if take > 0:
            releases.append(Release(ln.line_id, ln.type, take, ln.payment_id, ln.deduct_from_credit_balance))
            left -= take
    if left:
        raise ValueError(f"lines pay {excess - left} cents; cannot free {excess}")
    return releases
