"""How postings move the balances people see.

One mapping from postings to projection changes serves both directions: ``apply`` keeps the
projection columns current in the same transaction as each entry, and ``verify`` replays every
posting from zero through the same mapping and compares.

- ``client_credit`` postings (always with a lot): a lot's ``remaining`` and the client's
  ``credit_balance`` fall by the signed amount (a liability: credit is negative). With a
  ``line_id`` they are the draw of a client_credit line on that lot (``line_lots``); with a
  ``payment_id`` and a negative amount they are money of that payment moved into credit
  (``payments.credited``).
- ``ar:client`` postings (always with a bill): the bill's and the client's ``balance_due`` move by
  the amount; with an ``item_id`` it is the item's client responsibility, with a ``line_id`` it is
  what that payment line now pays (``amount``, and the bill's ``client_paid``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import case, insert, literal, select, update

from clientledger.db import Tx
from clientledger.ids import new_id
from clientledger.journal.accounts import AR_CLIENT, CLIENT_CREDIT
from clientledger.journal.posting import Posting
from clientledger.models import bill_items, bill_lines, bills, clients, credit_lots, line_lots, payments


def _counter() -> defaultdict[str, int]:
    return defaultdict(int)


@dataclass
class Deltas:
    lot_remaining: defaultdict[str, int] = field(default_factory=_counter)
    client_credit: defaultdict[str, int] = field(default_factory=_counter)
    client_due: defaultdict[str, int] = field(default_factory=_counter)
    bill_due: defaultdict[str, int] = field(default_factory=_counter)
    bill_responsibility: defaultdict[str, int] = field(default_factory=_counter)
    bill_paid: defaultdict[str, int] = field(default_factory=_counter)
    item_responsibility: defaultdict[str, int] = field(default_factory=_counter)
    line_amount: defaultdict[str, int] = field(default_factory=_counter)
    line_lot: defaultdict[tuple[str, str], int] = field(default_factory=_counter)  # type: ignore[arg-type]
    payment_credited: defaultdict[str, int] = field(default_factory=_counter)


def derive(postings: Iterable[Posting], deltas: Deltas | None = None) -> Deltas:
    d = deltas or Deltas()
    for p in postings:
        if p.account == CLIENT_CREDIT:
            assert p.lot_id and p.client_id, p
            d.lot_remaining[p.lot_id] -= p.amount
            d.client_credit[p.client_id] -= p.amount
            if p.line_id:
                d.line_lot[(p.line_id, p.lot_id)] += p.amount
            if p.payment_id and p.amount < 0:
                d.payment_credited[p.payment_id] -= p.amount
        elif p.account == AR_CLIENT:
            assert p.bill_id and p.client_id, p
            d.bill_due[p.bill_id] += p.amount
            d.client_due[p.client_id] += p.amount
            if p.item_id:
                d.item_responsibility[p.item_id] += p.amount
                d.bill_responsibility[p.bill_id] += p.amount
            if p.line_id:
                d.line_amount[p.line_id] -= p.amount
                d.bill_paid[p.bill_id] -= p.amount
    return d


def apply(tx: Tx, postings: list[Posting]) -> None:
    """Bring every projection touched by ``postings`` up to date (one UPDATE per row)."""
    d = derive(postings)
    conn = tx.conn
    for lot_id, delta in d.lot_remaining.items():
        if delta:
            conn.execute(update(credit_lots).where(credit_lots.c.id == lot_id).values(remaining=credit_lots.c.remaining + delta))
    for client_id in d.client_credit.keys() | d.client_due.keys():
        credit, due = d.client_credit.get(client_id, 0), d.client_due.get(client_id, 0)
        if credit or due:
            conn.execute(
                update(clients)
                .where(clients.c.id == client_id)
                .values(credit_balance=clients.c.credit_balance + credit, balance_due=clients.c.balance_due + due)
            )
    for bill_id in d.bill_due.keys() | d.bill_paid.keys() | d.bill_responsibility.keys():
        due = d.bill_due.get(bill_id, 0)
        new_due = bills.c.balance_due + due
        conn.execute(
            update(bills)
            .where(bills.c.id == bill_id)
            .values(
                balance_due=new_due,
                client_paid=bills.c.client_paid + d.bill_paid.get(bill_id, 0),
                client_responsibility=bills.c.client_responsibility + d.bill_responsibility.get(bill_id, 0),
                status=case(
                    (bills.c.status == "void", literal("void")),
                    (new_due == 0, literal("paid")),
                    else_=literal("open"),
                ),
            )
        )
    for item_id, delta in d.item_responsibility.items():
        if delta:
            conn.execute(
                update(bill_items)
                .where(bill_items.c.id == item_id)
                .values(client_responsibility=bill_items.c.client_responsibility + delta)
            )
    for line_id, delta in d.line_amount.items():
        if delta:
            conn.execute(update(bill_lines).where(bill_lines.c.id == line_id).values(amount=bill_lines.c.amount + delta))
    for (line_id, lot_id), delta in d.line_lot.items():
        if not delta:
            continue
        existing = conn.execute(
            select(line_lots.c.id).where(line_lots.c.line_id == line_id, line_lots.c.lot_id == lot_id)
        ).scalar()
        if existing is None:
            conn.execute(
                insert(line_lots).values(
                    id=new_id("ll"), practice_id=tx.practice_id, line_id=line_id, lot_id=lot_id, amount=delta
                )
            )
        else:
            conn.execute(update(line_lots).where(line_lots.c.id == existing).values(amount=line_lots.c.amount + delta))
    for payment_id, delta in d.payment_credited.items():
        conn.execute(update(payments).where(payments.c.id == payment_id).values(credited=payments.c.credited + delta))
