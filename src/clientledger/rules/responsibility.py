"""Who owes a session's fee: the client, a payer, or (canceled at no fee) nobody.

An insurance client's billed session is split ``min(copay, fee)`` to the client and the rest to
the payer; a self-pay session is the client's. A canceled, late-canceled or no-show session bills
only the fee given (rule 6), and that fee is the client's alone: it is not a claim.
"""

from __future__ import annotations

from typing import NamedTuple

from clientledger.kit.vocabulary import AppointmentStatus, Billing


class Shares(NamedTuple):
    """A session's fee split between the client and the payer; they always add up to the fee."""

    client: int
    insurance: int


def billed_fee(*, status: str, fee: int, status_fee: int | None) -> int:
    """What a session bills: its fee, or for a canceled/missed one the fee given with the status."""
    if AppointmentStatus(status).bills_fee_only:
        return status_fee or 0
    return fee


def is_claim(*, billing: str, status: str) -> bool:
    """An insurance client's session that took place (or is still to) goes to the payer."""
    return Billing(billing) is Billing.INSURANCE and not AppointmentStatus(status).bills_fee_only


def item_responsibility(*, billing: str, copay: int | None, fee: int, status: str) -> Shares:
    """(client, insurance) shares of a session's billed fee; a cancellation fee is the client's alone."""
    if fee < 0:
        raise ValueError("a fee is never negative")
    if is_claim(billing=billing, status=status):
        client = min(max(copay or 0, 0), fee)
        return Shares(client, fee - client)
    return Shares(fee, 0)
