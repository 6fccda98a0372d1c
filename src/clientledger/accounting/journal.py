"""``record``: the one call services use to move money (entry + projections, same transaction)."""

from __future__ import annotations

from clientledger.accounting import projections
from clientledger.accounting.posting import Posting, post_entry
from clientledger.db import Tx
from clientledger.kit.vocabulary import EntryKind


def record(
    tx: Tx,
    *,
    kind: EntryKind,
    lines: list[Posting],
    client_id: str,
    bill_id: str | None = None,
    payment_id: str | None = None,
    memo: str | None = None,
) -> str | None:
    """Write one balanced journal entry and move the projections it touches."""
    kept = [p if p.client_id else _with_client(p, client_id) for p in lines if p.amount != 0]
    entry_id = post_entry(
        tx, kind=kind, lines=kept, client_id=client_id, bill_id=bill_id, payment_id=payment_id, memo=memo
    )
    if entry_id is not None:
        projections.apply(tx, kept)
    return entry_id


def _with_client(p: Posting, client_id: str) -> Posting:
    return Posting(p.account, p.amount, client_id, p.bill_id, p.item_id, p.line_id, p.payment_id, p.lot_id)
