"""The database itself refuses what a bug could write: unbalanced entries, negative credit."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from clientledger.db import utcnow
from clientledger.models import credit_lots, journal_entries, postings
from tests.factories import Ledger


def test_a_lot_cannot_go_negative(ledger: Ledger) -> None:
    client = ledger.client()
    lot = ledger.manual_credit(client.id, 1000)
    with pytest.raises(IntegrityError), ledger.db.engine.begin() as conn:
        conn.execute(
            update(credit_lots)
            .where(credit_lots.c.practice_id == ledger.ctx.practice_id, credit_lots.c.id == lot.id)
            .values(remaining=-1)
        )
    assert ledger.credits(client.id).balance == 1000


def test_postgresql_refuses_an_unbalanced_entry_at_commit(ledger: Ledger) -> None:
    if ledger.db.dialect != "postgresql":
        pytest.skip("the deferred balance trigger is PostgreSQL's")
    practice_id = ledger.ctx.practice_id
    with pytest.raises(DBAPIError, match="does not balance"), ledger.db.engine.begin() as conn:
        conn.execute(
            insert(journal_entries).values(id="je_bad", practice_id=practice_id, kind="bad", created_at=utcnow())
        )
        conn.execute(
            insert(postings).values(practice_id=practice_id, entry_id="je_bad", n=1, account="cash:cash", amount=100)
        )
    assert ledger.verify() == []
