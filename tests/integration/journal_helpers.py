"""Reading the journal back in tests: an entry as a sorted list of (account, signed cents)."""

from __future__ import annotations

from tests.factories import Ledger


def last_entry(ledger: Ledger, kind: str | None = None) -> list[tuple[str, int]]:
    entries = ledger.entries(kind)
    assert entries, f"no journal entry of kind {kind!r}"
    return sorted((p["account"], p["amount"]) for p in entries[-1]["postings"])


def postings(*pairs: tuple[str, int]) -> list[tuple[str, int]]:
    return sorted(pairs)


def journal_size(ledger: Ledger) -> int:
    return sum(len(e["postings"]) for e in ledger.entries())
