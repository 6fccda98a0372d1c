"""Credit lot queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, literal, select

from clientledger.accounting.accounts import AR_CLIENT, CLIENT_CREDIT
from clientledger.accounting.repository import insert_lot as insert_lot
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.vocabulary import EntryKind
from clientledger.models import credit_lots, journal_entries, line_lots, payments, postings, users


def get_lot_row(tx: Tx, client_id: str, lot_id: str) -> Row[Any]:
    row = tx.conn.execute(
        select(credit_lots).where(
            credit_lots.c.id == lot_id,
            credit_lots.c.client_id == client_id,
            credit_lots.c.practice_id == tx.practice_id,
        )
    ).first()
    if row is None:
        raise NotFound(f"No credit lot {lot_id!r} for this client.")
    return row


def lot_rows_with_provenance(tx: Tx, client_id: str, lot_ids: list[str] | None = None) -> list[Row[Any]]:
    stmt = (
        select(credit_lots, payments.c.captured, payments.c.credited)
        .select_from(credit_lots.outerjoin(payments, payments.c.id == credit_lots.c.payment_id))
        .where(credit_lots.c.practice_id == tx.practice_id, credit_lots.c.client_id == client_id)
    )
    if lot_ids is not None:
        stmt = stmt.where(credit_lots.c.id.in_(lot_ids))
    return list(tx.conn.execute(stmt.order_by(credit_lots.c.id)))


def credit_history_rows(tx: Tx, client_id: str) -> list[Row[Any]]:
    return list(
        tx.conn.execute(
            select(
                journal_entries.c.id.label("entry_id"),
                journal_entries.c.kind,
                journal_entries.c.created_at,
                journal_entries.c.user_id,
                users.c.email.label("user_email"),
                journal_entries.c.memo,
                journal_entries.c.bill_id,
                journal_entries.c.payment_id,
                postings.c.lot_id,
                (-postings.c.amount).label("amount"),
            )
            .select_from(
                postings.join(journal_entries, journal_entries.c.id == postings.c.entry_id).outerjoin(
                    users, users.c.id == journal_entries.c.user_id
                )
            )
            .where(
                postings.c.practice_id == tx.practice_id,
                postings.c.client_id == client_id,
                postings.c.account == CLIENT_CREDIT,
            )
            .order_by(journal_entries.c.id.desc(), postings.c.id)
        )
    )


def credit_line_removal_rows(tx: Tx, client_id: str) -> list[Row[Any]]:
    """Credit removed for good with its bill line, per lot of this client that line drew from.

    The lots' balance fell when the credit was applied, so the removal moves no credit posting: the
    amount it took for good is the line's draw on each lot, which a removed line keeps.
    """
    return list(
        tx.conn.execute(
            select(
                journal_entries.c.id.label("entry_id"),
                journal_entries.c.kind,
                journal_entries.c.created_at,
                journal_entries.c.user_id,
                users.c.email.label("user_email"),
                journal_entries.c.memo,
                journal_entries.c.bill_id,
                journal_entries.c.payment_id,
                line_lots.c.lot_id,
                literal(0).label("amount"),
                line_lots.c.amount.label("removed_amount"),
            )
            .select_from(
                postings.join(journal_entries, journal_entries.c.id == postings.c.entry_id)
                .join(line_lots, line_lots.c.line_id == postings.c.line_id)
                .join(credit_lots, credit_lots.c.id == line_lots.c.lot_id)
                .outerjoin(users, users.c.id == journal_entries.c.user_id)
            )
            .where(
                postings.c.practice_id == tx.practice_id,
                postings.c.account == AR_CLIENT,
                journal_entries.c.kind == EntryKind.CREDIT_LINE_REMOVED,
                credit_lots.c.client_id == client_id,
                line_lots.c.amount > 0,
            )
            .order_by(journal_entries.c.id.desc(), line_lots.c.lot_id)
        )
    )


def payment_lot_rows(tx: Tx, payment_id: str) -> list[Row[Any]]:
    """The credit lots a payment created (overpayment, cancellation, insurance adjustment, prepayment)."""
    return list(
        tx.conn.execute(
            select(credit_lots.c.id, credit_lots.c.amount, credit_lots.c.remaining)
            .where(credit_lots.c.payment_id == payment_id)
            .order_by(credit_lots.c.id)
        )
    )
