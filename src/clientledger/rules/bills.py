"""A bill's status, decided from what it bills, what the client and the payers still owe, and what it can still take.

``void``: nothing is billed any more (every session canceled, late-canceled or no-show at fee 0),
whatever else is true of the bill; a void bill takes no payment of any kind (409 ``bill_void``).
Otherwise the status is about the client's part: ``paid`` when nothing is due from the client and
either the client owed something (their part is paid, whatever the payers still owe) or the payers
have settled (``insurance_due`` is 0); else ``open``. So a bill whose client part is 0 (an insured
session at copay 0) stays ``open`` until its payer pays, adjusts or denies the claim, and an
``open`` bill with nothing due from the client always has something due from a payer.

``insurance_due`` is what payers still owe: an item's insurance responsibility less what the payer
decision in force on it paid and wrote off (CO contractual, OA/PI/CR other adjustments). A decision
always balances (paid + patient responsibility + adjustments = fee, ``rules.insurance.decide``), so
it is 0 once any decision is in force, a denial included; a reversal (CLP02 22) makes it owed again.

``accounting.projections`` keeps the status current in SQL on every money movement (one statement
for all the bills an entry touches), with ``insurance_due`` as the net ``ar:insurance`` of the bill;
``tests/integration/test_bill_status.py`` holds it to this rule and ``clientledger verify`` checks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clientledger.kit.errors import BillVoid
from clientledger.kit.vocabulary import BillStatus


def nothing_billed(fees: Iterable[int]) -> bool:
    """Every session of the bill bills 0: there is nothing left on it to pay."""
    return not any(fees)


def item_insurance_due(*, insurance_responsibility: int, insurance_paid: int, written_off: int) -> int:
    """What the payer still owes on one session: its share less what the decision in force paid and wrote off.

    With no decision in force ``insurance_paid`` and ``written_off`` are 0 and the whole share is
    owed; any decision in force (a denial too: its share is 0) leaves nothing owed.
    """
    return insurance_responsibility - insurance_paid - written_off


def bill_status(*, fees: Iterable[int], balance_due: int, client_responsibility: int, insurance_due: int) -> BillStatus:
    """The status of a bill whose sessions bill ``fees``, by what the client and the payers still owe."""
    if nothing_billed(fees):
        return BillStatus.VOID
    if balance_due == 0 and (client_responsibility > 0 or insurance_due == 0):
        return BillStatus.PAID
    return BillStatus.OPEN


def check_payable(status: str) -> None:
    """Refuse a payment (client or payer) on a void bill, before anything is charged or written."""
    if BillStatus(status) is BillStatus.VOID:
        raise BillVoid("Nothing is billed on this bill any more (it is void): it takes no payment.")


def spread_payments(paid: int, owed: Sequence[int]) -> list[int]:
    """A bill's client payments over its sessions, in the order given (date order): each session
    takes what it owes the client until the payments run out (a superbill's "paid by client")."""
    shares = []
    for amount in owed:
        share = max(min(paid, amount), 0)
        paid -= share
        shares.append(share)
    return shares
