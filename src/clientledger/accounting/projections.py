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

from sqlalchemy import BindParameter, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clientledger.accounting import history
from clientledger.accounting.accounts import AR_CLIENT, AR_INSURANCE, CLIENT_CREDIT
from clientledger.accounting.posting import Posting
from clientledger.accounting.writes import Row, Statement, Writes
from clientledger.db import Tx
from clientledger.kit.ids import new_id
from clientledger.kit.vocabulary import BillStatus, LotSource
from clientledger.models import (
    bill_items,
    bill_lines,
    bills,
    charge_directory,
    clients,
    credit_lots,
    line_lots,
    packages,
    payments,
    refunds,
)
from clientledger.rules.bills import bill_status


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


@dataclass
class NewRows:
    """Rows a use case is creating, keyed by id, each holding every column's value.

    ``record`` folds what its entry moves into them (``fold``), so each is inserted once with its
    final values; only rows that existed before get an UPDATE. ``draws`` are the ``line_lots`` rows
    of new lines, filled in by ``fold``.
    """

    bills: dict[str, Row] = field(default_factory=dict)
    items: dict[str, Row] = field(default_factory=dict)
    payments: dict[str, Row] = field(default_factory=dict)
    lines: dict[str, Row] = field(default_factory=dict)
    lots: dict[str, Row] = field(default_factory=dict)
    refunds: dict[str, Row] = field(default_factory=dict)
    draws: list[Row] = field(default_factory=list)
    lot_sources: dict[str, str] = field(default_factory=dict)  # of lots drawn, for the answer
    lot_owners: dict[str, str] = field(default_factory=dict)  # their clients, for the answer


def fold(tx: Tx, d: Deltas, new: NewRows) -> None:
    """Move ``new``'s rows by the deltas that concern them and take those deltas out of ``d``."""
    for lot_id, row in new.lots.items():
        row["remaining"] += d.lot_remaining.pop(lot_id, 0)
    for payment_id, row in new.payments.items():
        row["credited"] += d.payment_credited.pop(payment_id, 0)
    for line_id, row in new.lines.items():
        row["amount"] += d.line_amount.pop(line_id, 0)
    for item_id, row in new.items.items():
        row["client_responsibility"] += d.item_responsibility.pop(item_id, 0)
        row["insurance_due"] += d.item_insurance_due.pop(item_id, 0)
    for bill_id, row in new.bills.items():
        row["balance_due"] += d.bill_due.pop(bill_id, 0)
        row["client_paid"] += d.bill_paid.pop(bill_id, 0)
        row["client_responsibility"] += d.bill_responsibility.pop(bill_id, 0)
        row["insurance_due"] += d.bill_insurance_due.pop(bill_id, 0)
        fees = [i["fee"] for i in new.items.values() if i["bill_id"] == bill_id]
        row["status"] = bill_status(
            fees=fees,
            balance_due=row["balance_due"],
            client_responsibility=row["client_responsibility"],
            insurance_due=row["insurance_due"],
        ).value
    for line_id, lot_id in [k for k in d.line_lot if k[0] in new.lines]:
        amount = d.line_lot.pop((line_id, lot_id))
        if amount:
            new.draws.append(
                {
                    "id": new_id("ll"),
                    "practice_id": tx.practice_id,
                    "line_id": line_id,
                    "lot_id": lot_id,
                    "amount": amount,
                }
            )


# Compiled once (``accounting.writes``): a use case runs these on every money movement, and building
# a statement costs more than running it. Several rows of one kind go to the driver as one executemany.
_k: BindParameter[str] = bindparam("k")
_d: BindParameter[int] = bindparam("d")
_p: BindParameter[str] = bindparam("practice_id")
_LOT = Statement(
    update(credit_lots)
    .where(credit_lots.c.id == _k, credit_lots.c.practice_id == _p)
    .values(remaining=credit_lots.c.remaining + _d)
)
_CLIENT = Statement(
    update(clients)
    .where(clients.c.id == _k, clients.c.practice_id == _p)
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
# tests/integration/test_bill_status.py holds the two to each other. (A bill the entry creates
# takes its status from the rule itself, in ``fold``.)
_BILL = Statement(
    update(bills)
    .where(bills.c.id == _k, bills.c.practice_id == _p)
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
_ITEM = Statement(
    update(bill_items)
    .where(bill_items.c.id == _k, bill_items.c.practice_id == _p)
    .values(
        client_responsibility=bill_items.c.client_responsibility + bindparam("resp"),
        insurance_due=bill_items.c.insurance_due + bindparam("ins"),
    )
)
_LINE = Statement(
    update(bill_lines)
    .where(bill_lines.c.id == _k, bill_lines.c.practice_id == _p)
    .values(amount=bill_lines.c.amount + _d)
)
_PAYMENT = Statement(
    update(payments).where(payments.c.id == _k, payments.c.practice_id == _p).values(credited=payments.c.credited + _d)
)
_LINE_LOT = Statement(
    update(line_lots)
    .where(line_lots.c.line_id == _k, line_lots.c.lot_id == bindparam("lot"), line_lots.c.practice_id == _p)
    .values(amount=line_lots.c.amount + _d)
)


def _package_sessions(dialect: str) -> Any:
    """``rules.packages.sessions_left`` in SQL, for the package of a lot an entry moved: the sessions
    used are the lines still holding some of the lot (a line refunded in full gave its session back;
    a deleted one keeps it), and what is left is the lot's whole shares, at most the unused sessions."""
    used = (
        select(func.count())
        .select_from(line_lots)
        .where(
            line_lots.c.practice_id == packages.c.practice_id,
            line_lots.c.lot_id == packages.c.lot_id,
            line_lots.c.amount > 0,
        )
        .scalar_subquery()
    )
    remaining = (
        select(credit_lots.c.remaining)
        .where(credit_lots.c.practice_id == packages.c.practice_id, credit_lots.c.id == packages.c.lot_id)
        .scalar_subquery()
    )
    least = func.least if dialect == "postgresql" else func.min
    greatest = func.greatest if dialect == "postgresql" else func.max
    whole = remaining // (packages.c.price // packages.c.sessions)
    return (
        update(packages)
        .where(packages.c.practice_id == _p, packages.c.lot_id == _k)
        .values(sessions_used=used, sessions_remaining=greatest(0, least(packages.c.sessions - used, whole)))
    )


# A package's sessions follow its lot: run for every existing lot an entry moves (a lot that is no
# package's matches no row).
_PACKAGE = Statement({"postgresql": _package_sessions("postgresql"), "sqlite": _package_sessions("sqlite")})


def _draw_upsert(insert_fn: Any) -> Any:
    stmt = insert_fn(line_lots)
    return stmt.on_conflict_do_update(
        index_elements=[line_lots.c.practice_id, line_lots.c.line_id, line_lots.c.lot_id],
        set_={"amount": line_lots.c.amount + stmt.excluded.amount},
    )


# Add to a line's draw on a lot, creating the row on its first draw: one statement either way.
_ADD_DRAW = Statement(
    {"postgresql": _draw_upsert(pg_insert), "sqlite": _draw_upsert(sqlite_insert)},
    columns=[c.key for c in line_lots.columns],
)

INSERT_BILLS = Statement.insert(bills)
INSERT_ITEMS = Statement.insert(bill_items)
INSERT_PAYMENTS = Statement.insert(payments)
INSERT_LINES = Statement.insert(bill_lines)
INSERT_LOTS = Statement.insert(credit_lots)
INSERT_DRAWS = Statement.insert(line_lots)
INSERT_REFUNDS = Statement.insert(refunds)
INSERT_CHARGES = Statement.insert(charge_directory)


def charge_rows(payment_rows: Iterable[Row]) -> list[Row]:
    """The ``charge_directory`` rows of new processor payments: a processor event names only the
    charge, and this is how it finds the practice (written with the payment, so never missing)."""
    return [{"charge_id": p["charge_id"], "practice_id": p["practice_id"]} for p in payment_rows if p.get("charge_id")]


def queue_new(writes: Writes, new: NewRows) -> None:
    """The new rows, parents before children (foreign keys are checked per statement on SQLite)."""
    writes.add(INSERT_BILLS, list(new.bills.values()))
    writes.add(INSERT_ITEMS, list(new.items.values()))
    writes.add(INSERT_PAYMENTS, list(new.payments.values()))
    writes.add(INSERT_CHARGES, charge_rows(new.payments.values()))
    writes.add(INSERT_LINES, list(new.lines.values()))
    writes.add(INSERT_LOTS, list(new.lots.values()))
    writes.add(INSERT_DRAWS, new.draws)
    writes.add(INSERT_REFUNDS, list(new.refunds.values()))


def queue_updates(writes: Writes, d: Deltas, sources: dict[str, str] | None = None) -> None:
    """UPDATEs bringing every existing row ``d`` touches up to date. ``sources``: the source of lots
    the caller knows (``NewRows.lot_sources``): a known lot that is no package's needs no package
    UPDATE; every other lot moved gets one."""
    p = writes.tx.practice_id
    writes.add(_LOT, [{"k": k, "d": v, "practice_id": p} for k, v in d.lot_remaining.items() if v])
    client_ids = d.client_credit.keys() | d.client_due.keys()
    changed = [
        {"k": c, "credit": d.client_credit.get(c, 0), "due": d.client_due.get(c, 0), "practice_id": p}
        for c in sorted(client_ids)
    ]
    writes.add(_CLIENT, [r for r in changed if r["credit"] or r["due"]])
    history.queue(writes, d.client_credit)
    bill_ids = d.bill_due.keys() | d.bill_paid.keys() | d.bill_responsibility.keys() | d.bill_insurance_due.keys()
    writes.add(
        _BILL,
        [
            {
                "k": b,
                "due": d.bill_due.get(b, 0),
                "paid": d.bill_paid.get(b, 0),
                "resp": d.bill_responsibility.get(b, 0),
                "ins": d.bill_insurance_due.get(b, 0),
                "practice_id": p,
            }
            for b in sorted(bill_ids)
        ],
    )
    item_ids = d.item_responsibility.keys() | d.item_insurance_due.keys()
    items = [
        {"k": i, "resp": d.item_responsibility.get(i, 0), "ins": d.item_insurance_due.get(i, 0), "practice_id": p}
        for i in sorted(item_ids)
    ]
    writes.add(_ITEM, [r for r in items if r["resp"] or r["ins"]])
    for stmt, deltas in ((_LINE, d.line_amount), (_PAYMENT, d.payment_credited)):
        writes.add(stmt, [{"k": k, "d": v, "practice_id": p} for k, v in deltas.items() if v])
    # A draw only shrinks after it exists; the CHECK (amount >= 0) is evaluated before ON CONFLICT.
    writes.add(
        _ADD_DRAW,
        [
            {"id": new_id("ll"), "practice_id": p, "line_id": line, "lot_id": lot, "amount": v}
            for (line, lot), v in d.line_lot.items()
            if v > 0
        ],
    )
    writes.add(
        _LINE_LOT, [{"k": line, "lot": lot, "d": v, "practice_id": p} for (line, lot), v in d.line_lot.items() if v < 0]
    )
    # Last: it reads the lots and their draws as this entry leaves them.
    moved = [
        k for k, v in d.lot_remaining.items() if v and (sources or {}).get(k, LotSource.PACKAGE) == LotSource.PACKAGE
    ]
    writes.add(_PACKAGE, [{"k": k, "practice_id": p} for k in moved])


def apply(tx: Tx, postings: list[Posting]) -> None:
    """Bring every projection touched by ``postings`` up to date, in the same transaction."""
    writes = Writes(tx)
    queue_updates(writes, derive(postings))
    writes.flush()
