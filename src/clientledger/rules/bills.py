"""A bill's status, decided from what it bills and what is still due, and what it can still take.

``void``: nothing is billed any more (every session canceled, late-canceled or no-show at fee 0),
whatever else is true of the bill; a void bill takes no payment of any kind (409 ``bill_void``).
Otherwise ``paid`` exactly when nothing is due from the client, else ``open``.

``accounting.projections`` keeps the status current in SQL on every money movement (one statement
for all the bills an entry touches); ``tests/integration/test_bill_status.py`` holds it to this rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from clientledger.kit.errors import BillVoid
from clientledger.kit.vocabulary import BillStatus


def nothing_billed(fees: Iterable[int]) -> bool:
    """Every session of the bill bills 0: there is nothing left on it to pay."""
    return not any(fees)


def bill_status(*, fees: Iterable[int], balance_due: int) -> BillStatus:
    """The status of a bill whose sessions bill ``fees`` and whose client still owes ``balance_due``."""
    if nothing_billed(fees):
        return BillStatus.VOID
    return BillStatus.PAID if balance_due == 0 else BillStatus.OPEN


def check_payable(status: str) -> None:
    """Refuse a payment (client or payer) on a void bill, before anything is charged or written."""
    if BillStatus(status) is BillStatus.VOID:
        raise BillVoid("Nothing is billed on this bill any more (it is void): it takes no payment.")
