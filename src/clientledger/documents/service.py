"""Document use cases: read what a statement, a receipt or a superbill says, in one read transaction.

They return data only; the faces print it (``render``) after the transaction, so no PDF is drawn
while the database waits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from clientledger.accounting.accounts import AR_CLIENT
from clientledger.clients.repository import ClientRecord, get_client_row
from clientledger.db import Tx
from clientledger.documents.repository import (
    Movement,
    appointment_statuses,
    balance_due_before,
    bill_rows,
    client_bills,
    first_movement_at,
    items_by_bill,
    lines_by_bill,
    lot_refs,
    movements,
    payers_by_entry,
    payment_refs,
)
from clientledger.documents.schemas import (
    Client,
    Practice,
    Receipt,
    ReceiptBill,
    ReceiptRefund,
    StatementDocument,
    StatementEntry,
    StatementRead,
    Superbill,
    SuperbillSession,
)
from clientledger.documents.words import EntryFacts, describe, method, session_status, sessions
from clientledger.kit.days import PracticeDay
from clientledger.kit.errors import NotFound, ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import EntryKind, LineType
from clientledger.payments.repository import get_payment_row, payment_line, refund_rows
from clientledger.practices.repository import get_practice_record
from clientledger.practices.service import practice_day
from clientledger.reports.repository import credit_balances_at
from clientledger.rules.bills import spread_payments


def _practice(tx: Tx) -> Practice:
    row = get_practice_record(tx)
    if row is None:
        raise NotFound("No such practice.")
    return Practice(name=row.name, npi=row.npi, tax_id=row.tax_id)


def _client(row: ClientRecord) -> Client:
    return Client(id=row.id, name=row.name, email=row.email)


def _check_range(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValidationFailed("`from` must not be after `to`.")


def _credit_at(tx: Tx, client_id: str, instant: dt.datetime) -> int:
    """The client's credit just before ``instant``, as the credit-liability report computes it."""
    rows = credit_balances_at(tx, instant, client_id=client_id)
    return rows[0].credit_balance if rows else 0


@use_case(Permission.READ)
def statement(tx: Tx, *, client_id: str, start: dt.date | None = None, end: dt.date | None = None) -> StatementDocument:
    """Every bill, payment, refund and credit movement of the client from ``start`` to ``end`` (the
    practice's days; default: from its first movement to today), from the journal, so it ties out:
    the opening balance due plus the charges less the payments is the closing balance due."""
    client = get_client_row(tx, client_id)
    days = practice_day(tx)
    last = end if end is not None else days.today(tx.now)
    if start is None:
        first_at = first_movement_at(tx, client.id)
        start = min(days.day_of(first_at), last) if first_at is not None else last
    _check_range(start, last)
    since, before = days.start(start), days.end(last)
    read = StatementRead(
        client_id=client.id,
        from_=start,
        to=last,
        opening_balance_due=balance_due_before(tx, client.id, since),
        entries=_entries(tx, days, movements(tx, client.id, start=since, end=before)),
        closing_balance_due=balance_due_before(tx, client.id, before),
        opening_credit_balance=_credit_at(tx, client.id, since),
        credit_balance=_credit_at(tx, client.id, before),
    )
    return StatementDocument(practice=_practice(tx), client=_client(client), statement=read)


def _entries(tx: Tx, days: PracticeDay, moves: list[Movement]) -> list[StatementEntry]:
    """One line per journal entry: ``ar:client`` on items are charges, on payment lines payments;
    ``client_credit`` is the credit column (signed: a liability's posting is minus the credit)."""
    by_entry: dict[str, list[Movement]] = defaultdict(list)
    for m in moves:
        by_entry[m.entry_id].append(m)
    heads = [rows[0] for rows in by_entry.values()]
    pays = payment_refs(tx, sorted({h.payment_id for h in heads if h.payment_id}))
    bill_of = {h.entry_id: h.bill_id or (pays[h.payment_id].bill_id if h.payment_id in pays else None) for h in heads}
    bill_ids = sorted({b for b in bill_of.values() if b})
    numbers = {b.id: b.number for b in bill_rows(tx, bill_ids)}
    items = items_by_bill(tx, bill_ids)
    payers = payers_by_entry(tx, [h.entry_id for h in heads if h.kind.startswith("insurance_")])
    manual = [m.lot_id for m in moves if m.kind == EntryKind.MANUAL_CREDIT and m.lot_id]
    lots = lot_refs(tx, manual)
    out = []
    for entry_id, rows in by_entry.items():
        head, bill_id = rows[0], bill_of[entry_id]
        ar = [m for m in rows if m.account == AR_CLIENT]
        credit = -sum(m.amount for m in rows if m.account != AR_CLIENT)
        touched = {m.item_id for m in ar if m.item_id}
        bill_items = items.get(bill_id, []) if bill_id else []
        if head.kind != EntryKind.BILL_CREATED:
            bill_items = [i for i in bill_items if i.id in touched]
        lot = next((lots[m.lot_id] for m in rows if m.lot_id in lots), None)
        facts = EntryFacts(
            kind=head.kind,
            bill_number=numbers.get(bill_id) if bill_id else None,
            items=bill_items,
            payment=pays.get(head.payment_id) if head.payment_id else None,
            payer=payers.get(entry_id),
            manual_reason=lot.reason if lot is not None else None,
            memo=head.memo,
            credit=credit,
        )
        out.append(
            StatementEntry(
                date=days.day_of(head.created_at),
                description=describe(facts),
                charges=sum(m.amount for m in ar if m.item_id),
                payments=-sum(m.amount for m in ar if not m.item_id),
                credit=credit,
                kind=head.kind,
                bill_id=bill_id,
                payment_id=head.payment_id,
            )
        )
    return out


@use_case(Permission.READ)
def receipt(tx: Tx, *, payment_id: str) -> Receipt:
    """A client payment as its receipt tells it: when, how, how much, what it paid, what went to
    credit, and its refunds."""
    payment = get_payment_row(tx, payment_id)
    client = get_client_row(tx, payment.client_id)
    days = practice_day(tx)
    paid: list[ReceiptBill] = []
    line = payment_line(tx, payment.id)
    if line is not None:
        bill = bill_rows(tx, [line.bill_id])[0]
        paid.append(ReceiptBill(bill.number, sessions(items_by_bill(tx, [bill.id])[bill.id]), line.amount))
    ref = payment_refs(tx, [payment.id])[payment.id]
    refunds = [
        ReceiptRefund(days.day_of(r.created_at), r.amount, r.status, r.reason, r.failure_reason)
        for r in refund_rows(tx, payment.id)
    ]
    return Receipt(
        practice=_practice(tx),
        client=_client(client),
        payment_id=payment.id,
        date=days.day_of(payment.created_at),
        method=method(ref),
        amount=payment.captured,
        memo=payment.memo,
        bills=paid,
        to_credit=payment.credited,
        refunded=payment.refunded,
        refunds=refunds,
        removed=payment.voided_at is not None,
    )


@use_case(Permission.READ)
def superbill(tx: Tx, *, client_id: str, start: dt.date | None = None, end: dt.date | None = None) -> Superbill:
    """Each session billed to the client with its date in ``[start, end]`` (default: from the first
    session to today, the practice's day): date, service code, fee, what the client paid toward it
    and what insurance paid."""
    client = get_client_row(tx, client_id)
    last = end if end is not None else practice_day(tx).today(tx.now)
    bills = client_bills(tx, client.id)
    ids = [b.id for b in bills]
    items, lines = items_by_bill(tx, ids), lines_by_bill(tx, ids)
    statuses = appointment_statuses(tx, sorted({i.appointment_id for rows in items.values() for i in rows}))
    dates = [i.date for rows in items.values() for i in rows]
    first = start if start is not None else min([*dates, last])
    _check_range(first, last)
    out: list[SuperbillSession] = []
    for bill in bills:
        # A bill's client payments (credit included, discounts not) go to its sessions in date order.
        paid = sum(
            line.amount
            for line in lines[bill.id]
            if not (LineType(line.type).is_credit and not line.deduct_from_credit_balance)
        )
        sessions = sorted(items[bill.id], key=lambda i: (i.date, i.id))
        shares = spread_payments(paid, [i.client_responsibility for i in sessions])
        for item, share in zip(sessions, shares, strict=True):
            if item.fee > 0 and first <= item.date <= last:
                status = session_status(statuses[item.appointment_id])
                out.append(
                    SuperbillSession(
                        item.date, item.service_code, bill.number, status, item.fee, share, item.insurance_paid
                    )
                )
    out.sort(key=lambda s: (s.date, s.bill_number))
    return Superbill(practice=_practice(tx), client=_client(client), start=first, end=last, sessions=out)
