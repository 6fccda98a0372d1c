"""``clientledger verify``: recompute every balance from the journal and list each mismatch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, ScalarSelect, func, select

from clientledger.accounting import history
from clientledger.accounting.accounts import (
    ADJUST_CONTRACTUAL,
    ADJUST_INSURANCE_OTHER,
    AR_CLIENT,
    AR_INSURANCE,
    CASH_INSURANCE,
    CASH_PREFIX,
    CLIENT_CREDIT,
)
from clientledger.accounting.posting import Posting
from clientledger.accounting.projections import Deltas, derive
from clientledger.kit.vocabulary import LotSource
from clientledger.models import (
    bill_items,
    bill_lines,
    bills,
    client_credit_days,
    clients,
    credit_lots,
    insurance_payments,
    line_lots,
    package_sessions,
    packages,
    payments,
    postings,
    practices,
    refunds,
)
from clientledger.rules.bills import bill_status, item_insurance_due
from clientledger.rules.packages import sessions_left

# A chunk of clients is verified at a time: every projection belongs to one client, so a chunk's
# postings and rows are all that chunk needs, and memory stays flat however long the journal.
CHUNK_POSTINGS = 50_000
CHUNK_CLIENTS = 2_000


def _client_ranges(conn: Connection, practice_id: str) -> Iterator[tuple[str | None, str | None]]:
    """``(after, through)`` client-id bounds covering every client, each holding few postings."""
    counts = conn.execution_options(yield_per=5000).execute(
        select(clients.c.id, func.count(postings.c.entry_id))
        .select_from(
            clients.outerjoin(
                postings, (postings.c.client_id == clients.c.id) & (postings.c.practice_id == practice_id)
            )
        )
        .where(clients.c.practice_id == practice_id)
        .group_by(clients.c.id)
        .order_by(clients.c.id)
    )
    after: str | None = None
    held = members = 0
    last: str | None = None
    for client_id, n in counts:
        if members and (held + n > CHUNK_POSTINGS or members >= CHUNK_CLIENTS):
            yield after, last
            after, held, members = last, 0, 0
        held += n
        members += 1
        last = client_id
    yield after, None


def _within(column: ColumnElement[Any], after: str | None, through: str | None) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if after is not None:
        out.append(column > after)
    if through is not None:
        out.append(column <= through)
    return out


def _postings(conn: Connection, practice_id: str, among: list[ColumnElement[bool]]) -> Iterator[Posting]:
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
        ).where(postings.c.practice_id == practice_id, *among)
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
    for practice_id in conn.execute(select(practices.c.id).order_by(practices.c.id)).scalars().all():
        problems += verify_practice(conn, practice_id)
    return problems


def verify_practice(conn: Connection, practice_id: str) -> list[str]:
    """One practice's invariants, its clients a chunk at a time."""
    problems: list[str] = []
    in_practice = postings.c.practice_id == practice_id
    unbalanced = conn.execute(
        select(postings.c.entry_id, func.sum(postings.c.amount))
        .where(in_practice)
        .group_by(postings.c.entry_id)
        .having(func.sum(postings.c.amount) != 0)
    ).all()
    problems += [f"journal entry {e}: postings sum to {s}, not 0" for e, s in unbalanced]
    total = conn.execute(select(func.coalesce(func.sum(postings.c.amount), 0)).where(in_practice)).scalar()
    if total != 0:
        problems.append(f"trial balance: all postings sum to {total}, not 0")
    clientless = conn.execute(
        select(func.count())
        .select_from(postings)
        .where(in_practice, postings.c.client_id.is_(None), postings.c.account.in_(_CLIENT_ACCOUNTS))
    ).scalar_one()
    if clientless:
        problems.append(f"practice {practice_id}: {clientless} client postings name no client")
    for after, through in list(_client_ranges(conn, practice_id)):
        problems += _verify_clients(conn, practice_id, after, through)
    problems += _insurance_totals(conn, practice_id)
    return problems


_CLIENT_ACCOUNTS = (CLIENT_CREDIT, AR_CLIENT, AR_INSURANCE)


def _verify_clients(conn: Connection, practice_id: str, after: str | None, through: str | None) -> list[str]:
    """Every projection of the clients with ids in ``(after, through]``, against their postings."""
    problems: list[str] = []
    p = practice_id
    of_bills = (
        select(bills.c.id)
        .where(bills.c.practice_id == p, *_within(bills.c.client_id, after, through))
        .scalar_subquery()
    )
    posted = _within(postings.c.client_id, after, through)
    d: Deltas = derive(_postings(conn, p, posted))
    _compare(
        problems,
        "credit lot",
        conn.execute(
            select(credit_lots.c.id, credit_lots.c.remaining).where(
                credit_lots.c.practice_id == p, *_within(credit_lots.c.client_id, after, through)
            )
        ),
        "remaining",
        d.lot_remaining,
    )
    client_rows = conn.execute(
        select(clients.c.id, clients.c.credit_balance, clients.c.balance_due).where(
            clients.c.practice_id == p, *_within(clients.c.id, after, through)
        )
    ).all()
    _compare(problems, "client", client_rows, "credit_balance", d.client_credit)
    _compare(problems, "client", client_rows, "balance_due", d.client_due)
    lots_sum = dict(
        conn.execute(
            select(credit_lots.c.client_id, func.sum(credit_lots.c.remaining))
            .where(credit_lots.c.practice_id == p, *_within(credit_lots.c.client_id, after, through))
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
        ).where(bills.c.practice_id == p, *_within(bills.c.client_id, after, through))
    ).all()
    _compare(problems, "bill", bill_rows, "balance_due", d.bill_due)
    _compare(problems, "bill", bill_rows, "client_responsibility", d.bill_responsibility)
    _compare(problems, "bill", bill_rows, "client_paid", d.bill_paid)
    _compare(problems, "bill", bill_rows, "insurance_due", d.bill_insurance_due)
    fees: defaultdict[str, list[int]] = defaultdict(list)
    for bill_id, fee in conn.execute(
        select(bill_items.c.bill_id, bill_items.c.fee).where(
            bill_items.c.practice_id == p, bill_items.c.bill_id.in_(of_bills)
        )
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
            select(bill_items.c.id, bill_items.c.client_responsibility).where(
                bill_items.c.practice_id == p, bill_items.c.bill_id.in_(of_bills)
            )
        ),
        "client_responsibility",
        d.item_responsibility,
    )
    _compare(
        problems,
        "payment line",
        conn.execute(
            select(bill_lines.c.id, bill_lines.c.amount).where(
                bill_lines.c.practice_id == p, bill_lines.c.bill_id.in_(of_bills)
            )
        ),
        "amount",
        d.line_amount,
    )
    # A draw is posted to its lot's client (a household member's lot may pay another member's bill).
    of_lots = (
        select(credit_lots.c.id)
        .where(credit_lots.c.practice_id == p, *_within(credit_lots.c.client_id, after, through))
        .scalar_subquery()
    )
    for r in conn.execute(
        select(line_lots.c.line_id, line_lots.c.lot_id, line_lots.c.amount).where(
            line_lots.c.practice_id == p, line_lots.c.lot_id.in_(of_lots)
        )
    ):
        want = d.line_lot.get((r.line_id, r.lot_id), 0)
        if r.amount != want:
            problems.append(f"line {r.line_id} on lot {r.lot_id}: amount is {r.amount}, journal says {want}")
    pay_rows = conn.execute(
        select(
            payments.c.id, payments.c.captured, payments.c.refunded, payments.c.credited, payments.c.voided_at
        ).where(payments.c.practice_id == p, *_within(payments.c.client_id, after, through))
    ).all()
    _compare(problems, "payment", pay_rows, "credited", d.payment_credited)
    cash_net: dict[str, int] = defaultdict(int)
    for payment_id, acct, amount in conn.execute(
        select(postings.c.payment_id, postings.c.account, func.sum(postings.c.amount))
        .where(
            postings.c.practice_id == p,
            *posted,
            postings.c.account.like(f"{CASH_PREFIX}%"),
            postings.c.payment_id.is_not(None),
        )
        .group_by(postings.c.payment_id, postings.c.account)
    ):
        if acct != "cash:insurance":
            cash_net[payment_id] += amount
    of_payments = (
        select(payments.c.id)
        .where(payments.c.practice_id == p, *_within(payments.c.client_id, after, through))
        .scalar_subquery()
    )
    refunded = dict(
        conn.execute(
            select(refunds.c.payment_id, func.sum(refunds.c.amount))
            .where(refunds.c.practice_id == p, refunds.c.status != "failed", refunds.c.payment_id.in_(of_payments))
            .group_by(refunds.c.payment_id)
        ).all()
    )
    for pay in pay_rows:
        held = 0 if pay.voided_at is not None else pay.captured - pay.refunded
        if cash_net.get(pay.id, 0) != held:
            problems.append(
                f"payment {pay.id}: holds {held} after refunds, journal cash says {cash_net.get(pay.id, 0)}"
            )
        if refunded.get(pay.id, 0) != pay.refunded:
            problems.append(
                f"payment {pay.id}: refunded is {pay.refunded}, refunds add up to {refunded.get(pay.id, 0)}"
            )
    negative = conn.execute(
        select(credit_lots.c.id).where(
            credit_lots.c.practice_id == p,
            credit_lots.c.remaining < 0,
            *_within(credit_lots.c.client_id, after, through),
        )
    ).all()
    problems += [f"credit lot {r.id}: negative remaining" for r in negative]
    problems += _packages(conn, p, d, _within(packages.c.client_id, after, through))
    problems += _insurance(conn, p, posted, of_bills)
    problems += history.check(
        conn,
        p,
        journal_range=posted,
        stored_range=_within(client_credit_days.c.client_id, after, through),
    )
    return problems


def _packages(conn: Connection, practice_id: str, d: Deltas, among: list[ColumnElement[bool]]) -> list[str]:
    """Each package against its lot as the journal leaves it.

    ``sessions_used`` is the number of lines still holding some of the lot, ``sessions_remaining``
    the whole shares left in it, at most the unused sessions (``rules.packages.sessions_left``);
    the lot is a ``package`` lot of the price; and only the package's own sessions ever drew on it.
    """
    problems: list[str] = []
    rows = conn.execute(
        select(
            packages.c.id,
            packages.c.lot_id,
            packages.c.sessions,
            packages.c.price,
            packages.c.sessions_used,
            packages.c.sessions_remaining,
            credit_lots.c.source,
            credit_lots.c.amount,
        )
        .select_from(
            packages.join(
                credit_lots,
                (credit_lots.c.practice_id == packages.c.practice_id) & (credit_lots.c.id == packages.c.lot_id),
            )
        )
        .where(packages.c.practice_id == practice_id, *among)
    ).all()
    if not rows:
        return problems
    by_lot: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)
    for (line_id, lot_id), amount in d.line_lot.items():
        by_lot[lot_id].append((line_id, amount))
    sessions_of = {r.id: set[str]() for r in rows}
    for package_id, line_id in conn.execute(
        select(package_sessions.c.package_id, package_sessions.c.line_id).where(
            package_sessions.c.practice_id == practice_id, package_sessions.c.package_id.in_(list(sessions_of))
        )
    ):
        sessions_of[package_id].add(line_id)
    for r in rows:
        if r.source != LotSource.PACKAGE or r.amount != r.price:
            problems.append(f"package {r.id}: its lot is {r.amount} of {r.source!r}, not {r.price} of 'package'")
        draws = by_lot.get(r.lot_id, [])
        strangers = sorted(line_id for line_id, _ in draws if line_id not in sessions_of[r.id])
        if strangers:
            problems.append(f"package {r.id}: lines {strangers} drew on its lot and are none of its sessions")
        used = sum(1 for _, amount in draws if amount > 0)
        left = sessions_left(sessions=r.sessions, used=used, remaining=d.lot_remaining.get(r.lot_id, 0), price=r.price)
        if r.sessions_used != used:
            problems.append(f"package {r.id}: sessions_used is {r.sessions_used}, the journal says {used}")
        if r.sessions_remaining != left:
            problems.append(f"package {r.id}: sessions_remaining is {r.sessions_remaining}, the journal says {left}")
    return problems


def _insurance(
    conn: Connection, practice_id: str, posted: list[ColumnElement[bool]], of_bills: ScalarSelect[Any]
) -> list[str]:
    """Items against the payer decisions in force on them (``insurance_payments`` with status posted).

    Per item: ``client_responsibility + insurance_responsibility == fee``; ``insurance_paid`` is the
    posted decision's ``paid``; and what the payer still owes (``rules.bills.item_insurance_due``,
    ``insurance_responsibility - insurance_paid - (contractual + other_adjusted)``) is both the
    journal's net ``ar:insurance`` and the item's ``insurance_due``.
    """
    problems: list[str] = []
    ar = dict(
        conn.execute(
            select(postings.c.item_id, func.sum(postings.c.amount))
            .where(postings.c.practice_id == practice_id, *posted, postings.c.account == AR_INSURANCE)
            .group_by(postings.c.item_id)
        ).all()
    )
    ip = insurance_payments.c
    decided = {
        r.item_id: r
        for r in conn.execute(
            select(ip.item_id, ip.paid, (ip.contractual + ip.other_adjusted).label("adjusted")).where(
                ip.practice_id == practice_id, ip.status == "posted", ip.bill_id.in_(of_bills)
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
        ).where(items.practice_id == practice_id, items.bill_id.in_(of_bills))
    ):
        decision = decided.get(r.id)
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
    return problems


def _insurance_totals(conn: Connection, practice_id: str) -> list[str]:
    """``cash:insurance``, ``adjust:contractual`` and ``adjust:insurance_other`` sum to the posted
    decisions' paid, contractual and other adjustments."""
    ip = insurance_payments.c
    row = conn.execute(
        select(
            func.coalesce(func.sum(ip.paid), 0),
            func.coalesce(func.sum(ip.contractual), 0),
            func.coalesce(func.sum(ip.other_adjusted), 0),
        ).where(ip.practice_id == practice_id, ip.status == "posted")
    ).one()
    want = {CASH_INSURANCE: int(row[0]), ADJUST_CONTRACTUAL: int(row[1]), ADJUST_INSURANCE_OTHER: int(row[2])}
    have = dict(
        conn.execute(
            select(postings.c.account, func.sum(postings.c.amount))
            .where(postings.c.practice_id == practice_id, postings.c.account.in_(list(want)))
            .group_by(postings.c.account)
        ).all()
    )
    return [
        f"practice {practice_id}: {account} is {int(have.get(account) or 0)}, posted insurance payments say {wanted}"
        for account, wanted in want.items()
        if int(have.get(account) or 0) != wanted
    ]
