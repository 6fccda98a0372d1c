"""Credit lot queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from clientledger.accounting.accounts import CLIENT_CREDIT
from clientledger.accounting.repository import insert_lot as insert_lot
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import credit_lots, journal_entries, payments, postings


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
                journal_entries.c.memo,
                journal_entries.c.bill_id,
                journal_entries.c.payment_id,
                postings.c.lot_id,
                (-postings.c.amount).label("amount"),
            )
            .select_from(postings.join(journal_entries, journal_entries.c.id == postings.c.entry_id))
            .where(
                postings.c.practice_id == tx.practice_id,
                postings.c.client_id == client_id,
                postings.c.account == CLIENT_CREDIT,
            )
            .order_by(journal_entries.c.id.desc(), postings.c.id)
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
