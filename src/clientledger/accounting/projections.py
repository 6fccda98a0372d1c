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
- ``ar:insurance`` postings (always with a bill and an item): what payers still owe, the item's and
  the bill's ``insurance_due``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, case, literal, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clientledger.accounting.accounts import AR_CLIENT, AR_INSURANCE, CLIENT_CREDIT
from clientledger.accounting.posting import Posting
from clientledger.db import Tx
from clientledger.kit.ids import new_id
from clientledger.kit.vocabulary import BillStatus
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
    bill_insurance_due: defaultdict[str, int] = field(default_factory=_counter)
    item_responsibility: defaultdict[str, int] = field(default_factory=_counter)
    item_insurance_due: defaultdict[str, int] = field(default_factory=_counter)
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
        elif p.account == AR_INSURANCE:
            assert p.bill_id and p.item_id, p
            d.bill_insurance_due[p.bill_id] += p.amount
            d.item_insurance_due[p.item_id] += p.amount
    return d


# Built once: a use case runs these on every money movement, and building a statement costs more
# than running it. Several rows of one kind go to the driver as one executemany.
_k: BindParameter[str] = bindparam("k")
_d: BindParameter[int] = bindparam("d")
_p: BindParameter[str] = bindparam("p")
_LOT = (
    update(credit_lots)
    .where(credit_lots.c.practice_id == _p, credit_lots.c.id == _k)
    .values(remaining=credit_lots.c.remaining + _d)
)
_CLIENT = (
    update(clients)
    .where(clients.c.practice_id == _p, clients.c.id == _k)
    .values(
        credit_balance=clients.c.credit_balance + bindparam("credit"),
        balance_due=clients.c.balance_due + bindparam("due"),
    )
)
_new_due = bills.c.balance_due + bindparam("due")
_new_responsibility = bills.c.client_responsibility + bindparam("resp")
_new_insurance_due = bills.c.insurance_due + bindparam("ins")
# ``rules.bills.bill_status`` in SQL, so one statement serves every bill an entry touches: a bill
# is void exactly when nothing is billed on it, and only a change of its fees (which decides again
# with ``billing.repository.settle_bill_status``) can make or unmake that, so here void stays void.
# tests/integration/test_bill_status.py holds the two to each other.
_BILL = (
    update(bills)
    .where(bills.c.practice_id == _p, bills.c.id == _k)
    .values(
        balance_due=_new_due,
        client_paid=bills.c.client_paid + bindparam("paid"),
        client_responsibility=_new_responsibility,
        insurance_due=_new_insurance_due,
        status=case(
            (bills.c.status == BillStatus.VOID.value, literal(BillStatus.VOID.value)),
            (
                and_(_new_due == 0, or_(_new_responsibility > 0, _new_insurance_due == 0)),
                literal(BillStatus.PAID.value),
            ),
            else_=literal(BillStatus.OPEN.value),
        ),
    )
)
_ITEM = (
    update(bill_items)
    .where(bill_items.c.practice_id == _p, bill_items.c.id == _k)
    .values(
        client_responsibility=bill_items.c.client_responsibility + bindparam("resp"),
        insurance_due=bill_items.c.insurance_due + bindparam("ins"),
    )
)
_LINE = (
    update(bill_lines)
    .where(bill_lines.c.practice_id == _p, bill_lines.c.id == _k)
    .values(amount=bill_lines.c.amount + _d)
)
_PAYMENT = (
    update(payments).where(payments.c.practice_id == _p, payments.c.id == _k).values(credited=payments.c.credited + _d)
)


_LINE_LOT = (
    update(line_lots)
    .where(line_lots.c.practice_id == _p, line_lots.c.line_id == _k, line_lots.c.lot_id == bindparam("lot"))
    .values(amount=line_lots.c.amount + _d)
)


def _draw_upsert(insert_fn: Any) -> Any:
    stmt = insert_fn(line_lots)
    return stmt.on_conflict_do_update(
        index_elements=[line_lots.c.practice_id, line_lots.c.line_id, line_lots.c.lot_id],
        set_={"amount": line_lots.c.amount + stmt.excluded.amount},
    )


# Add to a line's draw on a lot, creating the row on its first draw: one statement either way.
_ADD_DRAW = {"postgresql": _draw_upsert(pg_insert), "sqlite": _draw_upsert(sqlite_insert)}


def apply(tx: Tx, postings: list[Posting]) -> None:
    """Bring every projection touched by ``postings`` up to date, in the same transaction."""
    d = derive(postings)
    conn = tx.conn
    p = tx.practice_id
    lots = [{"p": p, "k": k, "d": v} for k, v in d.lot_remaining.items() if v]
    if lots:
        conn.execute(_LOT, lots)
    client_ids = d.client_credit.keys() | d.client_due.keys()
    changed = [{"p": p, "k": c, "credit": d.client_credit.get(c, 0), "due": d.client_due.get(c, 0)} for c in client_ids]
    changed = [r for r in changed if r["credit"] or r["due"]]
    if changed:
        conn.execute(_CLIENT, changed)
    bill_ids = d.bill_due.keys() | d.bill_paid.keys() | d.bill_responsibility.keys() | d.bill_insurance_due.keys()
    if bill_ids:
        conn.execute(
            _BILL,
            [
                {
                    "p": p,
                    "k": b,
                    "due": d.bill_due.get(b, 0),
                    "paid": d.bill_paid.get(b, 0),
                    "resp": d.bill_responsibility.get(b, 0),
                    "ins": d.bill_insurance_due.get(b, 0),
                }
                for b in bill_ids
            ],
        )
    item_ids = d.item_responsibility.keys() | d.item_insurance_due.keys()
    items = [
        {"p": p, "k": i, "resp": d.item_responsibility.get(i, 0), "ins": d.item_insurance_due.get(i, 0)}
        for i in item_ids
    ]
    items = [r for r in items if r["resp"] or r["ins"]]
    if items:
        conn.execute(_ITEM, items)
    for stmt, deltas in ((_LINE, d.line_amount), (_PAYMENT, d.payment_credited)):
        rows = [{"p": p, "k": k, "d": v} for k, v in deltas.items() if v]
        if rows:
            conn.execute(stmt, rows)
    # A draw only shrinks after it exists; the CHECK (amount >= 0) is evaluated before ON CONFLICT.
    draws = [
        {"id": new_id("ll"), "practice_id": tx.practice_id, "line_id": line, "lot_id": lot, "amount": v}
        for (line, lot), v in d.line_lot.items()
        if v > 0
    ]
    if draws:
        conn.execute(_ADD_DRAW[tx.dialect], draws)
    returns = [{"p": p, "k": line, "lot": lot, "d": v} for (line, lot), v in d.line_lot.items() if v < 0]
    if returns:
        conn.execute(_LINE_LOT, returns)
