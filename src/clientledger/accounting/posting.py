"""Writing journal entries. The only way money moves in clientledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clientledger.accounting.accounts import ACCOUNTS
from clientledger.accounting.writes import Row, Statement, Writes
from clientledger.db import Tx
from clientledger.kit.errors import ClientLedgerError
from clientledger.kit.ids import new_id
from clientledger.models import journal_entries, postings

INSERT_ENTRY = Statement.insert(journal_entries)
INSERT_POSTINGS = Statement.insert(postings)


class UnbalancedEntry(ClientLedgerError):
    """A bug, never user input: services build entries from rules that always balance."""

    code = "unbalanced_entry"
    status_code = 500


@dataclass(frozen=True)
class Posting:
    account: str
    amount: int
    client_id: str | None = None
    bill_id: str | None = None
    item_id: str | None = None
    line_id: str | None = None
    payment_id: str | None = None
    lot_id: str | None = None
    # Set on the posting that opens a lot written outside ``NewRows``: its source, for the outbox's
    # ``credit.created`` (stored nowhere else: a posting's row does not carry it).
    lot_source: str | None = None


def lots_in(lines: Iterable[Posting]) -> list[str]:
    """The credit lots these postings move, each once, in order (what an audit event names)."""
    return list(dict.fromkeys(p.lot_id for p in lines if p.lot_id))


def dr(account: str, amount: int, **refs: str | None) -> Posting:
    return Posting(account, amount, **refs)


def cr(account: str, amount: int, **refs: str | None) -> Posting:
    return Posting(account, -amount, **refs)


def entry_rows(
    tx: Tx,
    *,
    kind: str,
    lines: list[Posting],
    client_id: str | None = None,
    bill_id: str | None = None,
    payment_id: str | None = None,
    memo: str | None = None,
) -> tuple[Row, list[Row]] | None:
    """One balanced entry's row and its postings' rows; zero-amount postings are dropped, and an
    empty entry is ``None`` (nothing to write)."""
    kept = [p for p in lines if p.amount != 0]
    if not kept:
        return None
    if sum(p.amount for p in kept) != 0:
        raise UnbalancedEntry(f"journal entry {kind!r} does not balance: {kept}")
    unknown = {p.account for p in kept} - ACCOUNTS.keys()
    if unknown:
        raise UnbalancedEntry(f"unknown accounts {sorted(unknown)} in {kind!r}")
    entry_id = new_id("je")
    entry = {
        "id": entry_id,
        "practice_id": tx.practice_id,
        "kind": kind,
        "user_id": tx.ctx.user_id,
        "client_id": client_id,
        "bill_id": bill_id,
        "payment_id": payment_id,
        "memo": memo,
        "request_id": tx.ctx.request_id,
        "created_at": tx.now,
    }
    rows = [
        {
            "practice_id": tx.practice_id,
            "entry_id": entry_id,
            "n": n,
            "account": p.account,
            "amount": p.amount,
            "client_id": p.client_id or client_id,
            "bill_id": p.bill_id,
            "item_id": p.item_id,
            "line_id": p.line_id,
            "payment_id": p.payment_id,
            "lot_id": p.lot_id,
        }
        for n, p in enumerate(kept, start=1)
    ]
    return entry, rows


def post_entry(
    tx: Tx,
    *,
    kind: str,
    lines: list[Posting],
    client_id: str | None = None,
    bill_id: str | None = None,
    payment_id: str | None = None,
    memo: str | None = None,
) -> str | None:
    """Write one balanced entry; zero-amount postings are dropped, and an empty entry is not written."""
    rows = entry_rows(
        tx, kind=kind, lines=lines, client_id=client_id, bill_id=bill_id, payment_id=payment_id, memo=memo
    )
    if rows is None:
        return None
    writes = Writes(tx)
    writes.add(INSERT_ENTRY, [rows[0]])
    writes.add(INSERT_POSTINGS, rows[1])
    writes.flush()
    return str(rows[0]["id"])
