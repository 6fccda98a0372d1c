"""The events outbox: what each money movement tells listeners, written in the movement's transaction.

``journal.record`` announces every entry here (``announce``), so no movement can forget its events:

- what the entry creates: ``bill.created``, ``payment.created``, ``refund.created`` from the rows in
  ``NewRows`` (a refund written outside ``NewRows`` announces itself: ``announce_refund_row``);
- its credit, from the ``client_credit`` postings, one event per lot and direction: a lot going up
  is ``credit.created`` when the entry opens it (in ``new.lots``, or a posting with ``lot_source``),
  else ``credit.returned``; a lot going down means what the entry's kind says (``DRAWS``); a credit
  line removed from its bill, whose entry touches no lot, is a return and a removal (``_line_removal``);
- ``refund.settled`` for a refund settled at once (cash, check), ``bill.paid`` for each bill the entry
  makes paid (a new bill from its folded row; an existing one by an INSERT ... SELECT queued before
  the bill's UPDATE, which writes the event only if the bill was not paid and will be, by
  ``rules.bills.bill_status`` on its new amounts and its fees).

A credit event's ``credit_balance`` is the client's balance after it, with no extra query: its
INSERT reads ``clients.credit_balance`` in a scalar subquery, queued after the projections' UPDATEs
of the same entry, less what the client's later credit events of the entry move. Everything goes
on the entry's ``Writes``: one executemany for the entry's events (plus the bill.paid INSERT ...
SELECT when it touches existing bills), in the same pipeline as the rest on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, Text, and_, bindparam, cast, exists, func, insert, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from clientledger.accounting.accounts import ADJUST_CREDIT_REMOVED, AR_CLIENT, CLIENT_CREDIT
from clientledger.accounting.posting import Posting
from clientledger.accounting.projections import Deltas, NewRows
from clientledger.accounting.repository import line_draw_owners
from clientledger.accounting.writes import Row, Statement, Writes
from clientledger.db import Tx
from clientledger.kit.ids import new_id
from clientledger.kit.vocabulary import BillStatus, EntryKind, EventType, RefundStatus
from clientledger.models import bill_items, bills, clients, events, payments, refunds

E, K = EventType, EntryKind
#: What a lot going down in an entry of each kind means. ``None``: that kind never draws credit
#: (tests/unit/test_outbox_kinds.py holds every kind to a choice, so a new kind must make one).
DRAWS: dict[EntryKind, EventType | None] = {
    K.BILL_CREATED: E.CREDIT_APPLIED,
    K.CREDIT_PAYMENT: E.CREDIT_APPLIED,  # a credit payment, or apply-credit
    K.APPOINTMENT_CANCELED: E.CREDIT_APPLIED,  # rule 2's rise, when a status change raises the fee
    K.APPOINTMENT_LATE_CANCELED: E.CREDIT_APPLIED,
    K.APPOINTMENT_NO_SHOW: E.CREDIT_APPLIED,
    K.APPOINTMENT_ATTENDED: E.CREDIT_APPLIED,
    K.APPOINTMENT_SCHEDULED: E.CREDIT_APPLIED,
    K.INSURANCE_PAYMENT: E.CREDIT_APPLIED,  # rule 2's rise, when the payer says the client owes more
    K.INSURANCE_PAYMENT_REPLACED: E.CREDIT_APPLIED,
    K.INSURANCE_REVERSAL: E.CREDIT_APPLIED,
    K.CREDIT_REMOVED: E.CREDIT_REMOVED,
    K.PAYMENT_VOIDED: E.CREDIT_REMOVED,  # a cash/check payment deleted as an error takes its credit
    K.REFUND: E.CREDIT_REFUNDED,
    K.PAYMENT_RECEIVED: None,  # opens an overpayment lot
    K.PREPAYMENT: None,
    K.PACKAGE_SOLD: None,  # opens the package's lot (and an overpayment lot for money beyond its price)
    K.MANUAL_CREDIT: None,
    K.DISCOUNT: None,  # a discount touches no lot
    K.DISCOUNT_REDUCED: None,
    K.CREDIT_LINE_REFUNDED: None,  # the line's credit returns to its lots
    K.CREDIT_LINE_REMOVED: None,  # touches no lot: said as returned and removed (``_line_removal``)
    K.REFUND_FAILED: None,  # the refund's credit returns (and what its bill no longer bills opens a lot)
}
del E, K

_COLUMNS = ["id", "practice_id", "type", "data", "created_at"]
# One statement for every event: ``client_id`` names a credit event's client (None otherwise, and the
# subquery gives NULL); ``later`` is what that client's later credit events of the entry move.
_INSERT = Statement(
    insert(events).values(
        credit_balance=select(clients.c.credit_balance)
        .where(clients.c.practice_id == bindparam("p"), clients.c.id == bindparam("client_id"))
        .scalar_subquery()
        - bindparam("later")
    ),
    columns=_COLUMNS,
)


def _json(dialect: str, pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    """A JSON object built by the database (its text), for events whose values only it knows."""
    args: list[ColumnElement[Any]] = []
    for key, value in pairs:
        args += [literal_column(f"'{key}'"), value]
    if dialect == "postgresql":
        return cast(func.json_build_object(*args), Text)
    return func.json_object(*args)


def _bill_paid(dialect: str) -> Any:
    """``bill.paid`` for an existing bill, if this entry's deltas make it paid (``_BILL``'s binds)."""
    due = bills.c.balance_due + bindparam("due")
    resp = bills.c.client_responsibility + bindparam("resp")
    ins = bills.c.insurance_due + bindparam("ins")
    p: BindParameter[str] = bindparam("practice_id")
    k: BindParameter[str] = bindparam("k")
    data = _json(
        dialect,
        [
            ("id", bills.c.id),
            ("client_id", bills.c.client_id),
            ("number", bills.c.number),
            ("status", literal_column(f"'{BillStatus.PAID.value}'")),
            ("client_responsibility", resp),
            ("client_paid", bills.c.client_paid + bindparam("paid")),
            ("balance_due", due),
            ("insurance_due", ins),
        ],
    )
    billed = exists().where(bill_items.c.practice_id == p, bill_items.c.bill_id == k, bill_items.c.fee > 0)
    source = select(
        bindparam("id"), p, literal_column(f"'{EventType.BILL_PAID.value}'"), data, bindparam("created_at")
    ).where(
        bills.c.practice_id == p,
        bills.c.id == k,
        bills.c.status != BillStatus.PAID.value,
        and_(due == 0, or_(resp > 0, ins == 0)),  # rules.bills.bill_status: paid...
        billed,  # ...and not void (something is billed), as the fees stand after this entry
    )
    return insert(events).from_select(_COLUMNS, source)


_BILL_PAID = Statement({"postgresql": _bill_paid("postgresql"), "sqlite": _bill_paid("sqlite")})


def _refund_event(dialect: str) -> Any:
    """A refund's event from its row as it stands (a status it has just taken)."""
    joined = refunds.join(
        payments, and_(payments.c.practice_id == refunds.c.practice_id, payments.c.id == refunds.c.payment_id)
    )
    data = _json(
        dialect,
        [
            ("id", refunds.c.id),
            ("payment_id", refunds.c.payment_id),
            ("client_id", payments.c.client_id),
            ("amount", refunds.c.amount),
            ("from_credit", refunds.c.from_credit),
            ("from_bills", refunds.c.from_bills),
            ("status", refunds.c.status),
            ("failure_reason", refunds.c.failure_reason),
            ("processor_ref", refunds.c.processor_refund_id),
        ],
    )
    p: BindParameter[str] = bindparam("practice_id")
    source = (
        select(bindparam("id"), p, bindparam("type"), data, bindparam("created_at"))
        .select_from(joined)
        .where(refunds.c.practice_id == p, refunds.c.id == bindparam("refund_id"))
    )
    return insert(events).from_select(_COLUMNS, source)


_REFUND_EVENT = Statement({"postgresql": _refund_event("postgresql"), "sqlite": _refund_event("sqlite")})


@dataclass
class _Event:
    type: EventType
    data: dict[str, Any]
    client_id: str | None = None  # a credit event's client
    id: str = field(default_factory=lambda: new_id("evt"))


@dataclass
class Announcement:
    """An entry's events, ids taken in the order listeners read them; queued in two steps."""

    events: list[_Event]
    paid_bills: list[tuple[str, str]]  # (bill id, event id) of existing bills the entry may make paid

    def queue_paid_bills(self, writes: Writes, deltas: Deltas) -> None:
        """Before the bills' UPDATE: the INSERT ... SELECT that sees their status before this entry."""
        p = writes.tx.practice_id
        rows = [
            {
                "id": event_id,
                "practice_id": p,
                "created_at": writes.tx.now,
                "k": bill_id,
                "due": deltas.bill_due.get(bill_id, 0),
                "paid": deltas.bill_paid.get(bill_id, 0),
                "resp": deltas.bill_responsibility.get(bill_id, 0),
                "ins": deltas.bill_insurance_due.get(bill_id, 0),
            }
            for bill_id, event_id in self.paid_bills
        ]
        writes.add(_BILL_PAID, rows)

    def queue_events(self, writes: Writes) -> None:
        """After the projections' UPDATEs, so a credit event's subquery reads the new balance."""
        queue_rows(writes, self.events)


def queue_rows(writes: Writes, announced: Sequence[_Event]) -> None:
    tx = writes.tx
    later: dict[str, int] = {}
    rows: list[Row] = []
    for event in reversed(announced):
        client_id = event.client_id
        rows.append(
            {
                "id": event.id,
                "practice_id": tx.practice_id,
                "type": event.type.value,
                "data": json.dumps(event.data, default=str),
                "created_at": tx.now,
                "p": tx.practice_id,
                "client_id": client_id,
                "later": later.get(client_id, 0) if client_id else 0,
            }
        )
        if client_id:
            later[client_id] = later.get(client_id, 0) + event.type.credit_sign * int(event.data["amount"])
    rows.reverse()
    writes.add(_INSERT, rows)


def announce(
    tx: Tx,
    *,
    kind: EntryKind,
    entry_id: str | None,
    postings: Sequence[Posting],
    client_id: str,
    bill_id: str | None,
    payment_id: str | None,
    new: NewRows | None,
    deltas: Deltas,
) -> Announcement:
    """The events of one entry (``postings`` as written, ``new`` folded, ``deltas`` of rows that existed)."""
    new = new or NewRows()
    first: list[_Event] = []
    for bill in new.bills.values():
        appointments = [i["appointment_id"] for i in new.items.values() if i["bill_id"] == bill["id"]]
        first.append(_Event(EventType.BILL_CREATED, {**_bill_data(bill), "appointment_ids": appointments}))
    first += [_Event(EventType.PAYMENT_CREATED, _payment_data(p)) for p in new.payments.values()]
    first += [_Event(EventType.REFUND_CREATED, refund_data(r, client_id)) for r in new.refunds.values()]
    credit = _credit_events(kind, entry_id, postings, new, bill_id=bill_id, payment_id=payment_id)
    credit += _line_removal(tx, kind, entry_id, postings, bill_id=bill_id)
    last = [
        _Event(EventType.REFUND_SETTLED, refund_data(r, client_id))
        for r in new.refunds.values()
        if r["status"] == RefundStatus.SETTLED
    ]
    last += [_Event(EventType.BILL_PAID, _bill_data(b)) for b in new.bills.values() if b["status"] == BillStatus.PAID]
    # An existing bill can become paid only if its balance due fell, or stayed while what the client
    # or the payers owe moved (``_BILL``'s status rule); the database says if it did.
    moved = {b for b, v in [*deltas.bill_responsibility.items(), *deltas.bill_insurance_due.items()] if v}
    candidates = {b for b, v in deltas.bill_due.items() if v < 0} | {b for b in moved if not deltas.bill_due.get(b)}
    paid_bills = [(b, new_id("evt")) for b in sorted(candidates)]
    return Announcement(events=first + credit + last, paid_bills=paid_bills)


@dataclass
class _Move:
    type: EventType
    client_id: str
    lot_id: str
    amount: int = 0
    line_ids: set[str] = field(default_factory=set)
    payment_id: str | None = None
    bill_id: str | None = None
    source: str | None = None


def _credit_events(
    kind: EntryKind,
    entry_id: str | None,
    postings: Sequence[Posting],
    new: NewRows,
    *,
    bill_id: str | None,
    payment_id: str | None,
) -> list[_Event]:
    moves: dict[tuple[str, bool], _Move] = {}
    for p in postings:
        if p.account != CLIENT_CREDIT or p.amount == 0:
            continue
        assert p.lot_id and p.client_id, p
        up = p.amount < 0  # a liability: credit to the client is negative
        move = moves.get((p.lot_id, up))
        if move is None:
            move = moves[(p.lot_id, up)] = _new_move(kind, p, up, new, bill_id=bill_id, payment_id=payment_id)
        move.amount += abs(p.amount)
        if p.line_id:
            move.line_ids.add(p.line_id)
    out = []
    for m in moves.values():
        data: dict[str, Any] = {
            "client_id": m.client_id,
            "amount": m.amount,
            "lot_id": m.lot_id,
            "bill_id": m.bill_id,
            "payment_id": m.payment_id,
            "line_id": next(iter(m.line_ids)) if len(m.line_ids) == 1 else None,
            "entry_id": entry_id,
        }
        if m.type is EventType.CREDIT_CREATED:
            data["source"] = m.source
        out.append(_Event(m.type, data, client_id=m.client_id))
    return out


def _new_move(
    kind: EntryKind, p: Posting, up: bool, new: NewRows, *, bill_id: str | None, payment_id: str | None
) -> _Move:
    assert p.lot_id and p.client_id
    lot = new.lots.get(p.lot_id)
    if up and (lot is not None or p.lot_source is not None):
        return _Move(
            EventType.CREDIT_CREATED,
            p.client_id,
            p.lot_id,
            payment_id=lot["payment_id"] if lot is not None else p.payment_id,
            bill_id=lot["bill_id"] if lot is not None else bill_id,
            source=lot["source"] if lot is not None else p.lot_source,
        )
    if up:
        kind_of = EventType.CREDIT_RETURNED
    else:
        drawn = DRAWS.get(kind)
        kind_of = drawn if drawn is not None else (EventType.CREDIT_APPLIED if p.line_id else EventType.CREDIT_REMOVED)
    return _Move(kind_of, p.client_id, p.lot_id, payment_id=p.payment_id or payment_id, bill_id=p.bill_id or bill_id)


def _line_removal(
    tx: Tx, kind: EntryKind, entry_id: str | None, postings: Sequence[Posting], *, bill_id: str | None
) -> list[_Event]:
    """A client_credit line removed from its bill (rule 8): its credit is gone for good.

    The entry (Dr ``ar:client`` / Cr ``adjust:credit_removed``) touches no lot: it is a return to
    the lots the line drew on and a removal from them in one. Said as both, lot by lot, so the
    credit events still add up to the balance, which the entry leaves as it was.
    """
    if kind is not EntryKind.CREDIT_LINE_REMOVED or not any(p.account == ADJUST_CREDIT_REMOVED for p in postings):
        return []
    line_id = next(p.line_id for p in postings if p.account == AR_CLIENT and p.line_id)
    out = []
    for lot_id, client_id, amount in line_draw_owners(tx, line_id):
        data = {
            "client_id": client_id,
            "amount": amount,
            "lot_id": lot_id,
            "bill_id": bill_id,
            "payment_id": None,
            "line_id": line_id,
            "entry_id": entry_id,
        }
        out.append(_Event(EventType.CREDIT_RETURNED, data, client_id=client_id))
        out.append(_Event(EventType.CREDIT_REMOVED, dict(data), client_id=client_id))
    return out


def _bill_data(bill: Row) -> dict[str, Any]:
    keys = ("id", "client_id", "number", "status", "client_responsibility", "client_paid", "balance_due")
    return {**{k: bill[k] for k in keys}, "insurance_due": bill["insurance_due"]}


def _payment_data(payment: Row) -> dict[str, Any]:
    return {
        "id": payment["id"],
        "client_id": payment["client_id"],
        "bill_id": payment["bill_id"],
        "type": payment["method"],
        "amount": payment["captured"],
        "card_brand": payment["card_brand"],
        "card_last4": payment["card_last4"],
        "processor_ref": payment["charge_id"],
    }


def refund_data(refund: Row, client_id: str) -> dict[str, Any]:
    return {
        "id": refund["id"],
        "payment_id": refund["payment_id"],
        "client_id": client_id,
        "amount": refund["amount"],
        "from_credit": refund["from_credit"],
        "from_bills": refund["from_bills"],
        "status": refund["status"],
        "failure_reason": refund["failure_reason"],
        "processor_ref": refund["processor_refund_id"],
    }


def announce_refund_row(tx: Tx, refund: Row, *, client_id: str, writes: Writes | None = None) -> None:
    """``refund.created`` (and ``refund.settled`` when settled at once) for a refund written
    outside ``NewRows`` (a session canceled with ``disposition: refund``)."""
    announced = [_Event(EventType.REFUND_CREATED, refund_data(refund, client_id))]
    if refund["status"] == RefundStatus.SETTLED:
        announced.append(_Event(EventType.REFUND_SETTLED, refund_data(refund, client_id)))
    queue = writes if writes is not None else Writes(tx)
    queue_rows(queue, announced)
    if writes is None:
        queue.flush()


def announce_refund(tx: Tx, refund_id: str, type: EventType) -> None:
    """``refund.settled`` or ``refund.failed``: the refund as its new status left it (one INSERT ... SELECT)."""
    writes = Writes(tx)
    row = {"id": new_id("evt"), "practice_id": tx.practice_id, "type": type.value, "created_at": tx.now}
    writes.add(_REFUND_EVENT, [{**row, "refund_id": refund_id}])
    writes.flush()
