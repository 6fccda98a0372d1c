"""``clientledger verify``: recompute every balance from the journal and list each mismatch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from clientledger.accounting.accounts import (
    ADJUST_CONTRACTUAL,
    ADJUST_INSURANCE_OTHER,
    AR_INSURANCE,
    CASH_INSURANCE,
    CASH_PREFIX,
)
from clientledger.accounting.posting import Posting
from clientledger.accounting.projections import Deltas, derive
from clientledger.models import (
    bill_items,
    bill_lines,
    bills,
    clients,
    credit_lots,
    insurance_payments,
    line_lots,
    payments,
    postings,
    practices,
    refunds,
)
from clientledger.rules.bills import bill_status, item_insurance_due


def _postings(conn: Connection, practice_id: str) -> Iterator[Posting]:
    result = conn.execution_options(yield_per=5000).execute(
        select(
            postings.c.account,
            postings.c.amount,
            postings.c.client_id,
            postings.c.bill_id,
            postings.c.item_id,
            postings.c.line_id,
            postings.c.payment_id,
            postings.c.lot_id,
        ).where(postings.c.practice_id == practice_id)
    )
    for r in result:
        yield Posting(r.account, r.amount, r.client_id, r.bill_id, r.item_id, r.line_id, r.payment_id, r.lot_id)


def _compare(
    problems: list[str], what: str, rows: Iterable[Any], column: str, expected: dict[Any, int], key: str = "id"
) -> None:
    for r in rows:
        want = expected.get(getattr(r, key), 0)
        have = getattr(r, column)
        if have != want:
            problems.append(f"{what} {getattr(r, key)}: {column} is {have}, journal says {want}")


def verify(conn: Connection) -> list[str]:
    """Every invariant of the ledger; returns one line per violation (empty: all is well).

    Practice by practice: each practice's books balance on their own, and every statement reads one.
    """
    problems: list[str] = []
    for practice_id in conn.execute(select(practices.c.id).order_by(practices.c.id)).scalars():
        problems += _verify_practice(conn, practice_id)
    return problems


def _verify_practice(conn: Connection, pid: str) -> list[str]:
    problems: list[str] = []
    unbalanced = conn.execute(
        select(postings.c.entry_id, func.sum(postings.c.amount))
        .where(postings.c.practice_id == pid)
        .group_by(postings.c.entry_id)
        .having(func.sum(postings.c.amount) != 0)
    ).all()
    problems += [f"journal entry {e}: postings sum to {s}, not 0" for e, s in unbalanced]
    total = conn.execute(
        select(func.coalesce(func.sum(postings.c.amount), 0)).where(postings.c.practice_id == pid)
    ).scalar()
    if total != 0:
        problems.append(f"trial balance: all postings of practice {pid} sum to {total}, not 0")

    d: Deltas = derive(_postings(conn, pid))
    _compare(
        problems,
        "credit lot",
        conn.execute(select(credit_lots.c.id, credit_lots.c.remaining).where(credit_lots.c.practice_id == pid)),
        "remaining",
        d.lot_remaining,
    )
    client_rows = conn.execute(
        select(clients.c.id, clients.c.credit_balance, clients.c.balance_due).where(clients.c.practice_id == pid)
    ).all()
    _compare(problems, "client", client_rows, "credit_balance", d.client_credit)
    _compare(problems, "client", client_rows, "balance_due", d.client_due)
    lots_sum = dict(
        conn.execute(
            select(credit_lots.c.client_id, func.sum(credit_lots.c.remaining))
            .where(credit_lots.c.practice_id == pid)
            .group_by(credit_lots.c.client_id)
        ).all()
    )
    _compare(problems, "client (sum of lots)", client_rows, "credit_balance", lots_sum)
    bill_rows = conn.execute(
        select(
            bills.c.id,
            bills.c.status,
            bills.c.balance_due,
            bills.c.client_responsibility,
            bills.c.client_paid,
            bills.c.insurance_due,
        ).where(bills.c.practice_id == pid)
    ).all()
    _compare(problems, "bill", bill_rows, "balance_due", d.bill_due)
    _compare(problems, "bill", bill_rows, "client_responsibility", d.bill_responsibility)
    _compare(problems, "bill", bill_rows, "client_paid", d.bill_paid)
    _compare(problems, "bill", bill_rows, "insurance_due", d.bill_insurance_due)
    fees: defaultdict[str, list[int]] = defaultdict(list)
    for bill_id, fee in conn.execute(
        select(bill_items.c.bill_id, bill_items.c.fee).where(bill_items.c.practice_id == pid)
    ):
        fees[bill_id].append(fee)
    for b in bill_rows:
        # The status the journal's figures give (each figure is compared with its column above).
        due, owed, insurance_due = (d.bill_due[b.id], d.bill_responsibility[b.id], d.bill_insurance_due[b.id])
        expected = bill_status(
            fees=fees[b.id], balance_due=due, client_responsibility=owed, insurance_due=insurance_due
        )
        if b.status != expected:
            problems.append(
                f"bill {b.id}: status {b.status!r} with balance_due {due}, client_responsibility {owed} "
                f"and insurance_due {insurance_due}, not {expected.value}"
            )
    _compare(
        problems,
        "bill item",
        conn.execute(
            select(bill_items.c.id, bill_items.c.client_responsibility).where(bill_items.c.practice_id == pid)
        ),
        "client_responsibility",
        d.item_responsibility,
    )
    _compare(
        problems,
        "payment line",
        conn.execute(select(bill_lines.c.id, bill_lines.c.amount).where(bill_lines.c.practice_id == pid)),
        "amount",
        d.line_amount,
    )
    for r in conn.execute(
        select(line_lots.c.line_id, line_lots.c.lot_id, line_lots.c.amount).where(line_lots.c.practice_id == pid)
    ):
        want = d.line_lot.get((r.line_id, r.lot_id), 0)
        if r.amount != want:
            problems.append(f"line {r.line_id} on lot {r.lot_id}: amount is {r.amount}, journal says {want}")
    pay_rows = conn.execute(
        select(
            payments.c.id, payments.c.captured, payments.c.refunded, payments.c.credited, payments.c.voided_at
        ).where(payments.c.practice_id == pid)
    ).all()
    _compare(problems, "payment", pay_rows, "credited", d.payment_credited)
    cash_net: dict[str, int] = defaultdict(int)
    for payment_id, acct, amount in conn.execute(
        select(postings.c.payment_id, postings.c.account, func.sum(postings.c.amount))
        .where(
            postings.c.practice_id == pid,
            postings.c.account.like(f"{CASH_PREFIX}%"),
            postings.c.payment_id.is_not(None),
        )
        .group_by(postings.c.payment_id, postings.c.account)
    ):
        if acct != "cash:insurance":
            cash_net[payment_id] += amount
    refunded = dict(
        conn.execute(
            select(refunds.c.payment_id, func.sum(refunds.c.amount))
            .where(refunds.c.practice_id == pid, refunds.c.status != "failed")
            .group_by(refunds.c.payment_id)
        ).all()
    )
    for p in pay_rows:
        held = 0 if p.voided_at is not None else p.captured - p.refunded
        if cash_net.get(p.id, 0) != held:
            problems.append(f"payment {p.id}: holds {held} after refunds, journal cash says {cash_net.get(p.id, 0)}")
        if refunded.get(p.id, 0) != p.refunded:
            problems.append(f"payment {p.id}: refunded is {p.refunded}, refunds add up to {refunded.get(p.id, 0)}")
    negative = conn.execute(
        select(credit_lots.c.id).where(credit_lots.c.practice_id == pid, credit_lots.c.remaining < 0)
    ).all()
    problems += [f"credit lot {r.id}: negative remaining" for r in negative]
    problems += _insurance(conn, pid)
    return problems


def _insurance(conn: Connection, pid: str) -> list[str]:
    """Items against the payer decisions in force on them (``insurance_payments`` with status posted).

    Per item: ``client_responsibility + insurance_responsibility == fee``; ``insurance_paid`` is the
    posted decision's ``paid``; and what the payer still owes (``rules.bills.item_insurance_due``,
    ``insurance_responsibility - insurance_paid - (contractual + other_adjusted)``) is both the
    journal's net ``ar:insurance`` and the item's ``insurance_due``. Per practice,
    ``cash:insurance``, ``adjust:contractual`` and ``adjust:insurance_other`` sum to the posted
    decisions' paid, contractual and other adjustments.
    """
    problems: list[str] = []
    ar = dict(
        conn.execute(
            select(postings.c.item_id, func.sum(postings.c.amount))
            .where(postings.c.practice_id == pid, postings.c.account == AR_INSURANCE)
            .group_by(postings.c.item_id)
        ).all()
    )
    ip = insurance_payments.c
    posted = {
        r.item_id: r
        for r in conn.execute(
            select(ip.item_id, ip.paid, (ip.contractual + ip.other_adjusted).label("adjusted")).where(
                ip.practice_id == pid, ip.status == "posted"
            )
        )
    }
    items = bill_items.c
    for r in conn.execute(
        select(
            items.id,
            items.fee,
            items.client_responsibility,
            items.insurance_responsibility,
            items.insurance_paid,
            items.insurance_due,
        ).where(items.practice_id == pid)
    ):
        decision = posted.get(r.id)
        paid, adjusted = (decision.paid, decision.adjusted) if decision is not None else (0, 0)
        if r.client_responsibility + r.insurance_responsibility != r.fee:
            problems.append(f"bill item {r.id}: client and insurance responsibility do not add up to the fee {r.fee}")
        if r.insurance_paid != paid:
            problems.append(f"bill item {r.id}: insurance_paid is {r.insurance_paid}, the posted payment says {paid}")
        owed = item_insurance_due(
            insurance_responsibility=r.insurance_responsibility, insurance_paid=r.insurance_paid, written_off=adjusted
        )
        if ar.get(r.id, 0) != owed:
            problems.append(f"bill item {r.id}: the payer owes {owed}, journal ar:insurance says {ar.get(r.id, 0)}")
        if r.insurance_due != owed:
            problems.append(f"bill item {r.id}: insurance_due is {r.insurance_due}, the payer owes {owed}")
    want: dict[str, dict[str, int]] = {CASH_INSURANCE: {}, ADJUST_CONTRACTUAL: {}, ADJUST_INSURANCE_OTHER: {}}
    for practice, paid_sum, contractual_sum, other_sum in conn.execute(
        select(ip.practice_id, func.sum(ip.paid), func.sum(ip.contractual), func.sum(ip.other_adjusted))
        .where(ip.practice_id == pid, ip.status == "posted")
        .group_by(ip.practice_id)
    ):
        want[CASH_INSURANCE][practice] = paid_sum
        want[ADJUST_CONTRACTUAL][practice] = contractual_sum
        want[ADJUST_INSURANCE_OTHER][practice] = other_sum
    for account, wanted in want.items():
        have = dict(
            conn.execute(
                select(postings.c.practice_id, func.sum(postings.c.amount))
                .where(postings.c.practice_id == pid, postings.c.account == account)
                .group_by(postings.c.practice_id)
            ).all()
        )
        for practice in have.keys() | wanted.keys():
            if (have.get(practice) or 0) != (wanted.get(practice) or 0):
                problems.append(
                    f"practice {practice}: {account} is {have.get(practice) or 0}, posted insurance payments "
                    f"say {wanted.get(practice) or 0}"
                )
    return problems
