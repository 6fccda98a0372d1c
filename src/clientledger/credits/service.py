"""Credit use cases staff run from a client's Billing > Settings page."""

from __future__ import annotations

from dataclasses import replace

from clientledger.accounting.accounts import ADJUST_CREDIT_REMOVED, ADJUST_DISCOUNT, CLIENT_CREDIT
from clientledger.accounting.journal import record
from clientledger.accounting.posting import cr, dr
from clientledger.accounting.projections import NewRows, derive
from clientledger.accounting.repository import new_lot_row
from clientledger.accounting.writes import Writes
from clientledger.audit.service import record_event
from clientledger.clients.repository import get_client_row, lock_client
from clientledger.credits.repository import (
    CreditMovement,
    credit_history_rows,
    credit_line_removal_rows,
    get_lot_row,
    lot_rows_with_provenance,
)
from clientledger.credits.schemas import CreditHistoryEntry, CreditRemove, CreditsRead, LotRead, ManualCreditCreate
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import EntryKind
from clientledger.rules.credit import check_removal


@use_case(Permission.MANAGE_CREDIT)
def add_manual_credit(tx: Tx, *, client_id: str, data: ManualCreditCreate) -> LotRead:
    """A courtesy adjustment, fee waiver or billing resolution: new credit the practice grants."""
    lock_client(tx, client_id)
    new = NewRows()
    lot = new_lot_row(tx, client_id=client_id, source="manual", amount=data.amount, reason=data.reason, note=data.note)
    new.lots[lot["id"]] = lot
    writes = Writes(tx)
    record(
        tx,
        kind=EntryKind.MANUAL_CREDIT,
        client_id=client_id,
        memo=data.note,
        lines=[dr(ADJUST_DISCOUNT, data.amount), cr(CLIENT_CREDIT, data.amount, lot_id=lot["id"])],
        new=new,
        writes=writes,
    )
    record_event(tx, action="credit.added", object_ids=[client_id, lot["id"]], detail=data.model_dump(), writes=writes)
    writes.flush()
    return LotRead.model_validate(lot)


@use_case(Permission.MANAGE_CREDIT)
def remove_credit(tx: Tx, *, client_id: str, lot_id: str, data: CreditRemove) -> LotRead:
    """Take credit off the client's account for good (default: all that the lot has left)."""
    lock_client(tx, client_id)
    rows = lot_rows_with_provenance(tx, client_id, [lot_id])
    if not rows:
        raise NotFound(f"No credit lot {lot_id!r} for this client.")
    lot = rows[0]
    amount = data.amount if data.amount is not None else lot.remaining
    check_removal(amount=amount, remaining=lot.remaining)
    lines = [dr(CLIENT_CREDIT, amount, lot_id=lot_id), cr(ADJUST_CREDIT_REMOVED, amount)]
    writes = Writes(tx)
    record(tx, kind=EntryKind.CREDIT_REMOVED, client_id=client_id, memo=data.note, lines=lines, writes=writes)
    record_event(
        tx,
        action="credit.removed",
        object_ids=[client_id, lot_id],
        detail={"amount": amount, "note": data.note},
        writes=writes,
    )
    writes.flush()
    # The lot as the entry left it: the journal's own mapping of these postings, not a re-read.
    moved = derive([replace(p, client_id=client_id) for p in lines]).lot_remaining.get(lot_id, 0)
    return LotRead.model_validate(replace(lot, remaining=lot.remaining + moved))


@use_case(Permission.READ)
def get_lot(tx: Tx, *, client_id: str, lot_id: str) -> LotRead:
    rows = lot_rows_with_provenance(tx, client_id, [lot_id])
    if not rows:
        get_lot_row(tx, client_id, lot_id)
    return LotRead.model_validate(rows[0])


@use_case(Permission.READ)
def get_credits(tx: Tx, *, client_id: str) -> CreditsRead:
    """Balance, every lot with where it came from, and every movement of credit, newest first."""
    client = get_client_row(tx, client_id)
    return CreditsRead(
        client_id=client_id,
        balance=client.credit_balance,
        lots=[LotRead.model_validate(r) for r in lot_rows_with_provenance(tx, client_id)],
        history=[CreditHistoryEntry.model_validate(r) for r in _history_rows(tx, client_id)],
    )


def _history_rows(tx: Tx, client_id: str) -> list[CreditMovement]:
    """Credit postings and credit removed for good with bill lines, newest entry first."""
    rows = [*credit_history_rows(tx, client_id), *credit_line_removal_rows(tx, client_id)]
    return sorted(rows, key=lambda r: r.entry_id, reverse=True)  # stable: an entry's rows keep their order
