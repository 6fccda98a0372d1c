"""Queries on the ledger tables that money moves on: bill lines, credit lots, line draws, payments, refunds.

The shared money movements (``accounting.moves``) need them, and accounting knows no feature, so
they live here; the billing, credits and payments repositories re-export them rather than write
the same query twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, insert, select, update

from clientledger.accounting.writes import Statement, Writes
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.ids import new_id
from clientledger.kit.vocabulary import LotSource
from clientledger.models import bill_lines, bills, credit_lots, line_lots, packages, payments, refunds, same_practice
from clientledger.rules.credit import Draw, LotBalance
from clientledger.rules.freeing import PaidLine
from clientledger.rules.packages import PackageState


@dataclass(frozen=True, slots=True)
class LineRecord:
    """A bill's payment line: what it pays now (``amount``), with the payment behind it if any."""

    id: str
    bill_id: str
    payment_id: str | None
    type: str
    amount: int
    deduct_from_credit_balance: bool | None
    removed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A client payment: ``captured`` once, then what of it ever went to credit and was refunded."""

    id: str
    client_id: str
    bill_id: str | None
    method: str
    captured: int
    credited: int
    refunded: int
    processor: str | None
    charge_id: str | None
    card_last4: str | None
    card_brand: str | None
    memo: str | None
    voided_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LotRecord:
    """A credit lot: where the credit came from (``source``, payment, bill) and what is left of it."""

    id: str
    client_id: str
    source: str
    amount: int
    remaining: int
    reason: str | None
    note: str | None
    payment_id: str | None
    bill_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """A refund of a client payment; ``allocation`` (JSON) says where its money was taken from."""

    id: str
    payment_id: str
    amount: int
    from_credit: int
    from_bills: int
    status: str
    processor_refund_id: str | None
    reason: str | None
    allocation: str
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None


def columns_of(record: type[Any], table: Table) -> list[ColumnElement[Any]]:
    """``table``'s columns named by ``record``'s fields, in field order, so ``record(*row)`` builds one."""
    return [table.c[f.name] for f in fields(record)]


LINE_COLUMNS = columns_of(LineRecord, bill_lines)
PAYMENT_COLUMNS = columns_of(PaymentRecord, payments)
LOT_COLUMNS = columns_of(LotRecord, credit_lots)
REFUND_COLUMNS = columns_of(RefundRecord, refunds)


_INSERT_BILL_LINES = insert(bill_lines)
_INSERT_CREDIT_LOTS = insert(credit_lots)
_INSERT_REFUNDS = insert(refunds)

# Bill lines


_PAID_LINES = select(bill_lines).where(
    bill_lines.c.practice_id == bindparam("practice_id"),
    bill_lines.c.bill_id == bindparam("bill_id"),
    bill_lines.c.removed_at.is_(None),
    bill_lines.c.amount > 0,
)


def paid_lines(tx: Tx, bill_id: str) -> list[PaidLine]:
    """Lines that still pay something, in the shape the release rule takes."""
    rows = tx.conn.execute(_PAID_LINES, {"practice_id": tx.practice_id, "bill_id": bill_id})
    return [PaidLine(r.id, r.type, r.amount, r.deduct_from_credit_balance, r.payment_id, r.id) for r in rows]


def new_line_row(
    tx: Tx, *, bill_id: str, type: str, payment_id: str | None = None, deduct: bool | None = None
) -> dict[str, Any]:
    """A new line's row at ``amount = 0``; the journal entry that pays with it raises it."""
    return dict(
        id=new_id("ln"),
        practice_id=tx.practice_id,
        bill_id=bill_id,
        payment_id=payment_id,
        type=type,
        amount=0,
        deduct_from_credit_balance=deduct,
        removed_at=None,
        created_at=tx.now,
    )


def insert_line(tx: Tx, *, bill_id: str, type: str, payment_id: str | None = None, deduct: bool | None = None) -> str:
    """A new line starts at ``amount = 0``; the journal entry that pays with it raises it."""
    row = new_line_row(tx, bill_id=bill_id, type=type, payment_id=payment_id, deduct=deduct)
    tx.conn.execute(_INSERT_BILL_LINES, [row])
    return str(row["id"])


# Credit lots and what lines drew from them


OPEN_LOTS = (
    select(credit_lots.c.id, credit_lots.c.remaining, credit_lots.c.source)
    .where(
        credit_lots.c.practice_id == bindparam("practice_id"),
        credit_lots.c.client_id == bindparam("client_id"),
        credit_lots.c.remaining > 0,
    )
    .order_by(credit_lots.c.id)
)
_OPEN_LOTS_OF_PAYMENT = OPEN_LOTS.where(credit_lots.c.payment_id == bindparam("payment_id"))


def open_lots(tx: Tx, client_id: str, *, payment_id: str | None = None) -> list[LotBalance]:
    """Lots with credit left, oldest first (the order credit is spent in)."""
    params = {"practice_id": tx.practice_id, "client_id": client_id, "payment_id": payment_id}
    stmt = OPEN_LOTS if payment_id is None else _OPEN_LOTS_OF_PAYMENT
    return [LotBalance(r.id, r.remaining) for r in tx.conn.execute(stmt, params)]


@dataclass(frozen=True)
class CreditPool:
    """The credit a bill of one client may spend, read under the lock of each client it draws on.

    ``lots``: the lots any bill's credit may draw on, in the order it is spent (the client's own,
    oldest first, then the other members' of a household that shares credit, oldest first); a
    package's lot is not among them: it pays only its own sessions, which ``packages`` lists (the
    client's, oldest first). ``sources`` and ``owners`` say each lot's source and client.
    """

    lots: list[LotBalance]
    sources: dict[str, str]
    owners: dict[str, str]
    packages: list[PackageState]

    @property
    def balance(self) -> int:
        """What credit can pay on a bill (``min(balance, balance_due)`` is rule 2's amount)."""
        return sum(lot.remaining for lot in self.lots)

    def joined(self, other: CreditPool) -> CreditPool:
        """This pool, then ``other``'s lots (another member's credit); packages stay the client's own."""
        return CreditPool(
            [*self.lots, *other.lots],
            {**self.sources, **other.sources},
            {**self.owners, **other.owners},
            self.packages,
        )


# A client's open lots with their owner and, for a package's lot, the package: what paying a bill
# from credit reads under the client's lock (``credit_pool``).
_PACKAGE_OF_LOT = and_(packages.c.practice_id == credit_lots.c.practice_id, packages.c.lot_id == credit_lots.c.id)
_POOL_COLUMNS = (
    credit_lots.c.id,
    credit_lots.c.remaining,
    credit_lots.c.source,
    credit_lots.c.client_id,
    packages.c.id,
    packages.c.sessions,
    packages.c.price,
    packages.c.service_code,
    packages.c.sessions_used,
)


def pool_select(*where: ColumnElement[bool]) -> Select[Any]:
    """Open lots (``remaining > 0``) meeting ``where``, oldest first, in ``credit_pool``'s shape."""
    return (
        select(*_POOL_COLUMNS)
        .select_from(credit_lots.outerjoin(packages, _PACKAGE_OF_LOT))
        .where(credit_lots.c.practice_id == bindparam("practice_id"), *where, credit_lots.c.remaining > 0)
        .order_by(credit_lots.c.id)
    )


OPEN_POOL = pool_select(credit_lots.c.client_id == bindparam("client_id"))


def credit_pool(rows: Iterable[Sequence[Any]]) -> CreditPool:
    """``OPEN_POOL`` rows as a ``CreditPool``: package lots become the packages, the rest the lots."""
    lots: list[LotBalance] = []
    sources: dict[str, str] = {}
    owners: dict[str, str] = {}
    held: list[PackageState] = []
    for lot_id, remaining, source, client_id, package_id, sessions, price, code, used in rows:
        sources[lot_id] = source
        owners[lot_id] = client_id
        if package_id is not None:
            held.append(PackageState(package_id, lot_id, sessions, price, code, used, remaining))
        elif LotSource(source).spendable:
            lots.append(LotBalance(lot_id, remaining))
    return CreditPool(lots, sources, owners, held)


def open_credit_pool(tx: Tx, client_id: str) -> CreditPool:
    """The client's own credit pool (no household's), read now: the caller holds the client's lock."""
    return credit_pool(tx.conn.execute(OPEN_POOL, {"practice_id": tx.practice_id, "client_id": client_id}))


def new_lot_row(
    tx: Tx,
    *,
    client_id: str,
    source: str,
    amount: int,
    payment_id: str | None = None,
    bill_id: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """A new lot's row at ``remaining = 0``; the journal entry that funds it raises it."""
    return dict(
        id=new_id("lot"),
        practice_id=tx.practice_id,
        client_id=client_id,
        source=source,
        amount=amount,
        remaining=0,
        reason=reason,
        note=note,
        payment_id=payment_id,
        bill_id=bill_id,
        created_at=tx.now,
    )


def insert_lot(
    tx: Tx,
    *,
    client_id: str,
    source: str,
    amount: int,
    payment_id: str | None = None,
    bill_id: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> str:
    """A new lot starts at ``remaining = 0``; the journal entry that funds it raises it."""
    row = new_lot_row(
        tx,
        client_id=client_id,
        source=source,
        amount=amount,
        payment_id=payment_id,
        bill_id=bill_id,
        reason=reason,
        note=note,
    )
    tx.conn.execute(_INSERT_CREDIT_LOTS, [row])
    return str(row["id"])


def line_draws(tx: Tx, line_id: str) -> list[Draw]:
    """What a client_credit line currently holds from each lot, oldest lot first."""
    rows = tx.conn.execute(
        select(line_lots.c.lot_id, line_lots.c.amount).where(
            line_lots.c.practice_id == tx.practice_id, line_lots.c.line_id == line_id, line_lots.c.amount > 0
        )
    )
    # Sorted here: ORDER BY lot_id would tempt SQLite to walk the practice's draws by lot.
    return sorted((Draw(r.lot_id, r.amount) for r in rows), key=lambda d: d.lot_id)


def line_draw_owners(tx: Tx, line_id: str) -> list[tuple[str, str, int]]:
    """``(lot_id, client_id, amount)`` a client_credit line holds from each lot, in the order it drew
    them: the bill's client's own lots, oldest first, then other household members', oldest first."""
    joined = (
        line_lots.join(credit_lots, same_practice(credit_lots, line_lots, credit_lots.c.id == line_lots.c.lot_id))
        .join(bill_lines, same_practice(bill_lines, line_lots, bill_lines.c.id == line_lots.c.line_id))
        .join(bills, same_practice(bills, bill_lines, bills.c.id == bill_lines.c.bill_id))
    )
    rows = tx.conn.execute(
        select(line_lots.c.lot_id, credit_lots.c.client_id, line_lots.c.amount, bills.c.client_id)
        .select_from(joined)
        .where(line_lots.c.practice_id == tx.practice_id, line_lots.c.line_id == line_id, line_lots.c.amount > 0)
    )
    # Sorted here (see ``line_draws``): own lots before the other members', each oldest first.
    drawn = sorted(rows, key=lambda r: (r[1] != r[3], r[0]))
    return [(r[0], r[1], int(r[2])) for r in drawn]


# Payments and refunds


def get_payment_row(tx: Tx, payment_id: str) -> PaymentRecord:
    row = tx.conn.execute(
        select(*PAYMENT_COLUMNS).where(payments.c.id == payment_id, payments.c.practice_id == tx.practice_id)
    ).first()
    if row is None:
        raise NotFound(f"No payment {payment_id!r} in this practice.")
    return PaymentRecord(*row)


def payment_line(tx: Tx, payment_id: str) -> LineRecord | None:
    """The live line a payment pays on its bill, if it has one (a prepayment has none)."""
    row = tx.conn.execute(
        select(*LINE_COLUMNS).where(
            bill_lines.c.practice_id == tx.practice_id,
            bill_lines.c.payment_id == payment_id,
            bill_lines.c.removed_at.is_(None),
        )
    ).first()
    return None if row is None else LineRecord(*row)


def bill_balance_due(tx: Tx, bill_id: str) -> int:
    """What the client still owes on a bill now."""
    return int(
        tx.conn.execute(
            select(bills.c.balance_due).where(bills.c.id == bill_id, bills.c.practice_id == tx.practice_id)
        ).scalar_one()
    )


def add_refunded(tx: Tx, payment_id: str, amount: int) -> None:
    tx.conn.execute(
        update(payments)
        .where(payments.c.practice_id == tx.practice_id, payments.c.id == payment_id)
        .values(refunded=payments.c.refunded + amount)
    )


_ADD_REFUNDED = Statement(
    update(payments)
    .where(payments.c.id == bindparam("k"), payments.c.practice_id == bindparam("practice_id"))
    .values(refunded=payments.c.refunded + bindparam("d"))
)


def queue_refunded(writes: Writes, payment_id: str, amount: int) -> None:
    """Add ``amount`` to what the payment has had refunded, with the use case's other writes."""
    writes.add(_ADD_REFUNDED, [{"k": payment_id, "d": amount, "practice_id": writes.tx.practice_id}])


def new_payment_row(
    tx: Tx,
    *,
    client_id: str,
    method: str,
    amount: int,
    bill_id: str | None,
    processor: str | None = None,
    charge_id: str | None = None,
    card_last4: str | None = None,
    card_brand: str | None = None,
    memo: str | None = None,
) -> dict[str, Any]:
    """A new client payment's row: ``captured`` once, nothing yet credited or refunded."""
    return dict(
        id=new_id("pay"),
        practice_id=tx.practice_id,
        client_id=client_id,
        bill_id=bill_id,
        method=method,
        captured=amount,
        credited=0,
        refunded=0,
        processor=processor,
        charge_id=charge_id,
        card_last4=card_last4,
        card_brand=card_brand,
        memo=memo,
        voided_at=None,
        created_at=tx.now,
    )


def new_refund_row(
    tx: Tx,
    *,
    payment_id: str,
    amount: int,
    from_credit: int,
    from_bills: int,
    status: str,
    reason: str | None,
    allocation: str,
    processor_refund_id: str | None = None,
) -> dict[str, Any]:
    return dict(
        id=new_id("rf"),
        practice_id=tx.practice_id,
        payment_id=payment_id,
        amount=amount,
        from_credit=from_credit,
        from_bills=from_bills,
        status=status,
        processor_refund_id=processor_refund_id,
        reason=reason,
        allocation=allocation,
        failure_reason=None,
        created_at=tx.now,
        settled_at=tx.now if status == "settled" else None,
    )


def insert_refund_row(tx: Tx, row: dict[str, Any]) -> None:
    """A refund row built by ``new_refund_row``, written now."""
    tx.conn.execute(_INSERT_REFUNDS, [row])
