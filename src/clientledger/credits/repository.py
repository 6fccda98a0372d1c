"""Credit lot queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from clientledger.accounting.accounts import AR_CLIENT, CLIENT_CREDIT
from clientledger.accounting.repository import LOT_COLUMNS, LotRecord
from clientledger.accounting.repository import insert_lot as insert_lot
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import (
    REMOVED_LINE_ENTRY,
    credit_lots,
    journal_entries,
    line_lots,
    payments,
    postings,
    same_practice,
    users,
)


@dataclass(frozen=True, slots=True)
class ProvenancedLot(LotRecord):
    """A lot with what its payment (if any) captured and moved to credit in all."""

    captured: int | None
    credited: int | None


@dataclass(frozen=True, slots=True)
class CreditMovement:
    """One lot's share of a journal entry that moved credit, as the credit history shows it.

    ``amount`` is signed (positive adds credit); a credit line removed for good moves no credit
    (``amount`` 0) and says in ``removed_amount`` what it took from the lot.
    """

    entry_id: str
    kind: str
    created_at: datetime
    user_id: str | None
    user_email: str | None
    memo: str | None
    bill_id: str | None
    payment_id: str | None
    lot_id: str
    amount: int
    removed_amount: int | None = None


def get_lot_row(tx: Tx, client_id: str, lot_id: str) -> LotRecord:
    row = tx.conn.execute(
        select(*LOT_COLUMNS).where(
            credit_lots.c.id == lot_id,
            credit_lots.c.client_id == client_id,
            credit_lots.c.practice_id == tx.practice_id,
        )
    ).first()
    if row is None:
        raise NotFound(f"No credit lot {lot_id!r} for this client.")
    return LotRecord(*row)


def lot_rows_with_provenance(tx: Tx, client_id: str, lot_ids: list[str] | None = None) -> list[ProvenancedLot]:
    stmt = (
        select(*[*LOT_COLUMNS, payments.c.captured, payments.c.credited])
        .select_from(
            credit_lots.outerjoin(
                payments, same_practice(payments, credit_lots, payments.c.id == credit_lots.c.payment_id)
            )
        )
        .where(credit_lots.c.practice_id == tx.practice_id, credit_lots.c.client_id == client_id)
    )
    if lot_ids is not None:
        stmt = stmt.where(credit_lots.c.id.in_(lot_ids))
    return [ProvenancedLot(*r) for r in tx.conn.execute(stmt.order_by(credit_lots.c.id))]


_ENTRY_COLUMNS = (
    journal_entries.c.id.label("entry_id"),
    journal_entries.c.kind,
    journal_entries.c.created_at,
    journal_entries.c.user_id,
    users.c.email.label("user_email"),
    journal_entries.c.memo,
    journal_entries.c.bill_id,
    journal_entries.c.payment_id,
)
"""What a credit movement says of its journal entry, and who made it."""


def credit_history_rows(tx: Tx, client_id: str) -> list[CreditMovement]:
    """Every ``client_credit`` posting of the client, newest entry first."""
    rows = tx.conn.execute(
        select(
            *_ENTRY_COLUMNS,
            postings.c.lot_id,
            (-postings.c.amount).label("amount"),
        )
        .select_from(
            postings.join(
                journal_entries, same_practice(journal_entries, postings, journal_entries.c.id == postings.c.entry_id)
            ).outerjoin(users, same_practice(users, journal_entries, users.c.id == journal_entries.c.user_id))
        )
        .where(
            postings.c.practice_id == tx.practice_id,
            postings.c.client_id == client_id,
            postings.c.account == CLIENT_CREDIT,
        )
        .order_by(journal_entries.c.id.desc(), postings.c.n)
    )
    return [CreditMovement(*r) for r in rows]


def credit_line_removal_rows(tx: Tx, client_id: str) -> list[CreditMovement]:
    """Credit removed for good with its bill line, per lot of this client that line drew from.

    The lots' balance fell when the credit was applied, so the removal moves no credit posting: the
    amount it took for good is the line's draw on each lot, which a removed line keeps.
    """
    pid = tx.practice_id
    # Two seeks rather than one join: the client's removals (a partial index of that rare kind),
    # their postings by key, then the draws of those lines (``(practice_id, line_id)``), so none
    # walks the practice's history.
    removals = tx.conn.execute(
        select(*_ENTRY_COLUMNS, postings.c.line_id)
        .select_from(
            journal_entries.join(
                postings, same_practice(postings, journal_entries, postings.c.entry_id == journal_entries.c.id)
            ).outerjoin(users, same_practice(users, journal_entries, users.c.id == journal_entries.c.user_id))
        )
        .where(
            journal_entries.c.practice_id == pid,
            journal_entries.c.client_id == client_id,
            REMOVED_LINE_ENTRY,
            # The removal's ar:client posting is on the client's own bill (lines draw on its own lots).
            postings.c.client_id == client_id,
            postings.c.account == AR_CLIENT,
        )
        .order_by(journal_entries.c.id.desc())
    ).all()
    line_ids = sorted({r.line_id for r in removals if r.line_id is not None})
    draws: dict[str, list[tuple[str, int]]] = {}
    if line_ids:
        for line_id, lot_id, amount in tx.conn.execute(
            select(line_lots.c.line_id, line_lots.c.lot_id, line_lots.c.amount)
            .select_from(
                line_lots.join(
                    credit_lots, same_practice(credit_lots, line_lots, credit_lots.c.id == line_lots.c.lot_id)
                )
            )
            .where(
                line_lots.c.practice_id == pid,
                line_lots.c.line_id.in_(line_ids),
                credit_lots.c.client_id == client_id,
                line_lots.c.amount > 0,
            )
        ):
            draws.setdefault(line_id, []).append((lot_id, amount))
    for held in draws.values():
        held.sort()  # oldest lot first (not in SQL: see ``accounting.repository.line_draws``)
    return [
        CreditMovement(*r[:-1], lot_id=lot_id, amount=0, removed_amount=removed)
        for r in removals
        for lot_id, removed in draws.get(r.line_id, [])
    ]


def payment_lot_rows(tx: Tx, payment_id: str) -> list[LotRecord]:
    """The credit lots a payment created (overpayment, cancellation, insurance adjustment, prepayment)."""
    rows = tx.conn.execute(
        select(*LOT_COLUMNS)
        .where(credit_lots.c.practice_id == tx.practice_id, credit_lots.c.payment_id == payment_id)
        .order_by(credit_lots.c.id)
    )
    return [LotRecord(*r) for r in rows]
