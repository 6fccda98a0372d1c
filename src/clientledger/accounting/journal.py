"""``record``: the one call services use to move money (entry + projections, same transaction)."""

from __future__ import annotations

from dataclasses import replace

from clientledger.accounting import outbox, projections
from clientledger.accounting.posting import INSERT_ENTRY, INSERT_POSTINGS, Posting, entry_rows
from clientledger.accounting.projections import NewRows
from clientledger.accounting.writes import Writes
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
    new: NewRows | None = None,
    writes: Writes | None = None,
) -> str | None:
    """Write one balanced journal entry and move the projections it touches.

    ``new`` holds the rows the use case is creating (its bill, items, lines, payment, lots): what
    the entry moves is folded into them (``projections.fold``, the same mapping ``verify`` replays)
    and each is inserted once, with its final values; rows that existed get UPDATEs. With ``writes``
    everything is queued there for the caller to flush together with its other writes (its audit
    event); otherwise it is sent before ``record`` returns. The entry's outbox events
    (``accounting.outbox``) go with it, in the same transaction.
    """
    kept = [p if p.client_id else _with_client(p, client_id) for p in lines if p.amount != 0]
    rows = entry_rows(tx, kind=kind, lines=kept, client_id=client_id, bill_id=bill_id, payment_id=payment_id, memo=memo)
    queue = writes if writes is not None else Writes(tx)
    deltas = projections.derive(kept) if rows is not None else projections.Deltas()
    if new is not None:
        projections.fold(tx, deltas, new)
        projections.queue_new(queue, new)
    entry_id = None if rows is None else str(rows[0]["id"])
    events = outbox.announce(
        tx,
        kind=kind,
        entry_id=entry_id,
        postings=kept if rows is not None else [],
        client_id=client_id,
        bill_id=bill_id,
        payment_id=payment_id,
        new=new,
        deltas=deltas,
    )
    if rows is not None:
        queue.add(INSERT_ENTRY, [rows[0]])
        queue.add(INSERT_POSTINGS, rows[1])
        events.queue_paid_bills(queue, deltas)  # reads the bills' status before their UPDATE
        projections.queue_updates(queue, deltas, new.lot_sources if new is not None else None)
    events.queue_events(queue)  # after the UPDATEs: a credit event reads the balance it left
    if writes is None:
        queue.flush()
    return entry_id


def _with_client(p: Posting, client_id: str) -> Posting:
    return replace(p, client_id=client_id)
