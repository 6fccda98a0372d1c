"""Building blocks of bill money movements, shared by billing, payments, appointments and insurance.

Accounting knows no feature: the rows these moves read and insert are queried in
``accounting.repository``, and processor calls are the payments feature's (``payments.refunds``).

Each returns the postings of one movement (and inserts the line or lot it needs); the calling use
case gathers them into its single journal entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

from clientledger.accounting import outbox
from clientledger.accounting.accounts import ADJUST_DISCOUNT, AR_CLIENT, CLIENT_CREDIT, cash
from clientledger.accounting.posting import Posting, cr, dr
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import (
    CreditPool,
    LineRecord,
    PaymentRecord,
    RefundRecord,
    add_refunded,
    bill_balance_due,
    get_payment_row,
    insert_line,
    insert_lot,
    insert_refund_row,
    line_draw_owners,
    new_line_row,
    new_lot_row,
    new_refund_row,
    open_credit_pool,
    paid_lines,
    payment_line,
    queue_refunded,
)
from clientledger.accounting.writes import Writes
from clientledger.db import Tx
from clientledger.kit.vocabulary import LineType, LotSource, PaymentMethod
from clientledger.rules.credit import Draw, draw_fifo, plan_return
from clientledger.rules.freeing import plan_release
from clientledger.rules.refunds import RefundPlan


def apply_credit(
    tx: Tx,
    *,
    client_id: str,
    bill_id: str,
    amount: int,
    new: NewRows | None = None,
    available: CreditPool | None = None,
) -> tuple[str | None, list[Posting]]:
    """A client_credit line paying ``amount`` from the credit the bill may spend, oldest lot first
    (rule 2): ``available``, the pool the caller read under the locks of the clients it draws on,
    else the client's own lots, read now (a rise: it takes what there is, as a package's lot counts
    in ``credit_balance`` but pays no other bill). Each draw's posting names the lot's client.

    With ``new`` the line is added there (``record`` inserts it with its final amount), and so are
    the drawn lots' sources, which the answer shows."""
    pool = available
    if pool is None:
        pool = open_credit_pool(tx, client_id)
        amount = min(amount, pool.balance)
    if amount <= 0:
        return None, []
    draws = draw_fifo(pool.lots, amount)
    if new is None:
        line_id = insert_line(tx, bill_id=bill_id, type=LineType.CLIENT_CREDIT, deduct=True)
    else:
        new.lot_sources.update(pool.sources)
        new.lot_owners.update(pool.owners)
        row = new_line_row(tx, bill_id=bill_id, type=LineType.CLIENT_CREDIT, deduct=True)
        line_id = new.lines.setdefault(row["id"], row)["id"]
    lines = [
        dr(CLIENT_CREDIT, d.amount, lot_id=d.lot_id, line_id=line_id, client_id=pool.owners.get(d.lot_id))
        for d in draws
    ]
    lines.append(cr(AR_CLIENT, amount, bill_id=bill_id, line_id=line_id))
    return line_id, lines


def return_credit(tx: Tx, *, bill_id: str, line_id: str, amount: int) -> list[Posting]:
    """Give ``amount`` of a client_credit line back to the lots it came from, most recently drawn
    first; each lot's posting names its client (a household member's lot goes back to that member)."""
    held = line_draw_owners(tx, line_id)
    owners = {lot_id: owner for lot_id, owner, _ in held}
    lines = [dr(AR_CLIENT, amount, bill_id=bill_id, line_id=line_id)]
    lines += [
        cr(CLIENT_CREDIT, r.amount, lot_id=r.lot_id, line_id=line_id, client_id=owners[r.lot_id])
        for r in plan_return([Draw(lot_id, n) for lot_id, _, n in held], amount)
    ]
    return lines


def shrink_discount(*, bill_id: str, line_id: str, amount: int) -> list[Posting]:
    """A discount (client_credit not deducted) only ever shrinks: nothing becomes credit."""
    return [dr(AR_CLIENT, amount, bill_id=bill_id, line_id=line_id), cr(ADJUST_DISCOUNT, amount)]


class CreditLine(Protocol):
    """What shrinking a client_credit line needs to know of it."""

    @property
    def id(self) -> str: ...
    @property
    def deduct_from_credit_balance(self) -> bool | None: ...


def shrink_credit_line(tx: Tx, line: CreditLine, *, bill_id: str, amount: int) -> list[Posting]:
    if line.deduct_from_credit_balance:
        return return_credit(tx, bill_id=bill_id, line_id=line.id, amount=amount)
    return shrink_discount(bill_id=bill_id, line_id=line.id, amount=amount)


def move_to_credit(
    tx: Tx,
    *,
    client_id: str,
    bill_id: str | None,
    line_id: str | None,
    payment_id: str,
    amount: int,
    source: str,
    new: NewRows | None = None,
) -> tuple[str, list[Posting]]:
    """Money of a client payment leaves the bill (or arrives beyond it) as a new credit lot
    (added to ``new`` when given, for ``record`` to insert with its final ``remaining``)."""
    if new is None:
        lot_id = insert_lot(
            tx, client_id=client_id, source=source, amount=amount, payment_id=payment_id, bill_id=bill_id
        )
    else:
        row = new_lot_row(tx, client_id=client_id, source=source, amount=amount, payment_id=payment_id, bill_id=bill_id)
        lot_id = new.lots.setdefault(row["id"], row)["id"]
    lines = [cr(CLIENT_CREDIT, amount, lot_id=lot_id, payment_id=payment_id, lot_source=source)]
    if line_id is not None:
        lines.append(dr(AR_CLIENT, amount, bill_id=bill_id, line_id=line_id))
    return lot_id, lines


@dataclass(frozen=True)
class RecordedRefund:
    refund_id: str
    lines: list[Posting]
    pending: bool  # a processor refund: the payments feature sends it after commit


def record_refund(
    tx: Tx,
    *,
    payment: PaymentRecord,
    plan: RefundPlan,
    reason: str | None,
    source: str = LotSource.OVERPAYMENT,
    line: LineRecord | None = None,
    new: NewRows | None = None,
    writes: Writes | None = None,
    made_by_processor: bool = False,
    processor_refund_id: str | None = None,
) -> RecordedRefund:
    """Record a refund of a client payment: its row, ``refunded``, and the postings of the entry.

    A processor refund (a card charge) is recorded pending: it settles once the processor answers,
    which the payments feature asks for after commit. Cash and check refunds are handed over at
    the desk, so they are settled at once. ``source`` names the credit lot a refused refund's money
    becomes where its bill no longer bills it (see ``undo_refund``). ``line`` is the payment's live
    line when the caller already read it; with ``new`` and ``writes`` the refund's row goes to
    ``new`` and the payment's ``refunded`` to ``writes``, for the caller to send with its entry.
    ``made_by_processor``: a refund the processor made without being asked (its dashboard), settled
    already, with the processor's id when it is known; nothing is sent.
    """
    line_id = None
    lines = [cr(cash(payment.method), plan.amount, payment_id=payment.id)]
    lines += [dr(CLIENT_CREDIT, d.amount, lot_id=d.lot_id) for d in plan.from_lots]
    if plan.from_bill:
        line = line or payment_line(tx, payment.id)
        assert line is not None
        line_id = line.id
        lines.append(dr(AR_CLIENT, plan.from_bill, bill_id=line.bill_id, line_id=line.id))
    allocation = {
        "lots": {d.lot_id: d.amount for d in plan.from_lots},
        "line_id": line_id,
        "bill_id": payment.bill_id,
        "from_bill": plan.from_bill,
        "source": source,
    }
    pending = PaymentMethod(payment.method).settles_later and payment.charge_id is not None and not made_by_processor
    row = new_refund_row(
        tx,
        payment_id=payment.id,
        amount=plan.amount,
        from_credit=plan.from_credit,
        from_bills=plan.from_bill,
        status="pending" if pending else "settled",
        reason=reason,
        allocation=json.dumps(allocation),
        processor_refund_id=processor_refund_id,
    )
    if new is not None and writes is not None:
        new.refunds[row["id"]] = row
        queue_refunded(writes, payment.id, plan.amount)
    else:
        insert_refund_row(tx, row)
        add_refunded(tx, payment.id, plan.amount)
        outbox.announce_refund_row(tx, row, client_id=payment.client_id)
    return RecordedRefund(row["id"], lines, pending)


def undo_refund(tx: Tx, *, payment: PaymentRecord, refund: RefundRecord) -> list[Posting]:
    """A refund the processor refused: its money goes back where ``record_refund`` took it from.

    Credit goes back to its lots and bill money to its bill, as far as the bill still bills it: a
    session canceled with ``disposition: refund`` no longer does, so that part stays the client's as
    a new lot (``source``, e.g. ``cancellation``) with the payment as provenance.
    """
    alloc = json.loads(refund.allocation)
    lines = [dr(cash(payment.method), refund.amount, payment_id=payment.id)]
    lines += [cr(CLIENT_CREDIT, amount, lot_id=lot_id) for lot_id, amount in alloc["lots"].items()]
    from_bill = int(alloc["from_bill"])
    if from_bill:
        back = min(from_bill, bill_balance_due(tx, alloc["bill_id"]))
        if back:
            lines.append(cr(AR_CLIENT, back, bill_id=alloc["bill_id"], line_id=alloc["line_id"]))
        if from_bill > back:
            lines += move_to_credit(
                tx,
                client_id=payment.client_id,
                bill_id=alloc["bill_id"],
                line_id=None,
                payment_id=payment.id,
                amount=from_bill - back,
                source=alloc.get("source", LotSource.OVERPAYMENT),
            )[1]
    add_refunded(tx, payment.id, -refund.amount)
    return lines


@dataclass
class Released:
    lines: list[Posting] = field(default_factory=list)
    lot_ids: list[str] = field(default_factory=list)
    refund_ids: list[str] = field(default_factory=list)
    # Processor refunds among them: the caller hands them to ``payments.refunds.send_after_commit``.
    pending_refund_ids: list[str] = field(default_factory=list)


def release_excess(
    tx: Tx, *, client_id: str, bill_id: str, excess: int, source: str, disposition: str = "credit"
) -> Released:
    """Rules 5 and 6: take ``excess`` off the bill's payment lines in the rule's order.

    With ``disposition="refund"`` card/cash/check lines are refunded to their payment; the refunds
    still to be sent to the processor are in ``pending_refund_ids``.
    """
    out = Released()
    if excess <= 0:
        return out
    for rel in plan_release(paid_lines(tx, bill_id), excess):
        if LineType(rel.type).is_credit:
            line = _Line(rel.line_id, rel.deduct_from_credit_balance)
            out.lines += shrink_credit_line(tx, line, bill_id=bill_id, amount=rel.amount)
            continue
        assert rel.payment_id is not None
        if disposition == "refund":
            refund = record_refund(
                tx,
                payment=get_payment_row(tx, rel.payment_id),
                plan=RefundPlan(amount=rel.amount, from_lots=[], from_bill=rel.amount),
                reason=f"{source.replace('_', ' ')} refund",
                source=source,
            )
            out.refund_ids.append(refund.refund_id)
            if refund.pending:
                out.pending_refund_ids.append(refund.refund_id)
            out.lines += refund.lines
        else:
            lot_id, lines = move_to_credit(
                tx,
                client_id=client_id,
                bill_id=bill_id,
                line_id=rel.line_id,
                payment_id=rel.payment_id,
                amount=rel.amount,
                source=source,
            )
            out.lot_ids.append(lot_id)
            out.lines += lines
    return out


@dataclass(frozen=True)
class _Line:
    id: str
    deduct_from_credit_balance: bool | None
