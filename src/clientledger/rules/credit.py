"""Rules 1-3: how much credit applies to a bill, and which lots it comes from (oldest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clientledger.kit.errors import ExceedsBalanceDue, InsufficientCredit, ValidationFailed


@dataclass(frozen=True)
class LotBalance:
    lot_id: str
    remaining: int


@dataclass(frozen=True)
class Draw:
    lot_id: str
    amount: int


def credit_to_apply(*, credit_balance: int, balance_due: int, rise: int | None = None) -> int:
    """Rule 2: ``min(credit_balance, balance_due)`` on a new bill; with a rise, ``min(.., rise)`` too."""
    amount = min(credit_balance, balance_due)
    if rise is not None:
        amount = min(amount, rise)
    return max(amount, 0)


def credit_for_rise(*, auto_apply: bool, rise: int, credit_balance: int, balance_due: int) -> int:
    """Rule 2's rise: the client's responsibility on a bill rose by ``rise`` (insurance, a cancellation
    fee raised, a canceled session set back to attended); ``balance_due`` already counts it.

    Only a bill created with credit applied takes credit for it, ``min(credit_balance, rise,
    balance_due)``; a fall, or a refunded or deleted line, is no rise and takes nothing.
    """
    if not auto_apply or rise <= 0:
        return 0
    return credit_to_apply(credit_balance=credit_balance, balance_due=balance_due, rise=rise)


def draw_fifo(lots: Sequence[LotBalance], amount: int) -> list[Draw]:
    """Take ``amount`` from ``lots`` (given oldest first), exhausting each before the next."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount > sum(lot.remaining for lot in lots):
        raise InsufficientCredit(
            "The client has {available} of credit; {needed} is needed.",
            available=sum(lot.remaining for lot in lots),
            needed=amount,
        )
    draws: list[Draw] = []
    left = amount
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            draws.append(Draw(lot.lot_id, take))
            left -= take
    return draws


def check_credit_payment(*, amount: int, balance_due: int, credit_balance: int, deduct: bool) -> None:
    """Rule 3: a client_credit payment never exceeds the balance due; deducting needs the credit."""
    if amount <= 0:
        raise ValidationFailed("amount must be greater than 0")
    if amount > balance_due:
        raise ExceedsBalanceDue(
            "The bill's balance due is {balance_due}; {asked} is more than that.", balance_due=balance_due, asked=amount
        )
    if deduct and amount > credit_balance:
        raise InsufficientCredit(
            "The client has {available} of credit; {asked} is more than that.", available=credit_balance, asked=amount
        )


def credit_to_spend(*, amount: int | None, balance_due: int, credit_balance: int) -> int:
    """Credit applied to an open bill by hand: ``amount``, by default ``min(credit_balance,
    balance_due)``, held to rule 3 (``exceeds_balance_due`` before ``insufficient_credit``)."""
    if amount is None:
        if balance_due <= 0:
            raise ExceedsBalanceDue("Nothing is due on this bill; no credit can be applied.")
        if credit_balance <= 0:
            raise InsufficientCredit("The client has no credit to apply.")
        amount = min(credit_balance, balance_due)
    check_credit_payment(amount=amount, balance_due=balance_due, credit_balance=credit_balance, deduct=True)
    return amount


def check_removal(*, amount: int, remaining: int) -> None:
    """Rule 8: a lot can lose at most what it still has."""
    if amount <= 0:
        raise ValidationFailed("amount must be greater than 0")
    if amount > remaining:
        raise InsufficientCredit(
            "The lot has {remaining} remaining; {asked} cannot be removed.", remaining=remaining, asked=amount
        )


def plan_return(draws: Sequence[Draw], amount: int) -> list[Draw]:
    """Credit going back to lots (a refunded or freed client_credit line): to the lots it came from.

    ``draws`` is what the line holds from each lot, in the order it drew them (oldest lot first,
    a household member's own lots before the others'); the most recently drawn lot gets its
    credit back first. (A payment refund is the other way round: it takes the payment's
    own lots oldest first, see ``rules.refunds.plan_refund``.)
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount > sum(d.amount for d in draws):
        raise ValueError(f"the line holds {sum(d.amount for d in draws)} cents of credit; cannot return {amount}")
    returns: list[Draw] = []
    left = amount
    for draw in reversed(draws):
        if left == 0:
            break
        take = min(draw.amount, left)
        if take > 0:
            returns.append(Draw(draw.lot_id, take))
            left -= take
    return returns
