"""SQLite writers of one process share commits: one fsync for several use cases, each in its own
savepoint, and no use case answers before the shared commit is on disk."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text

from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate, BillRead
from clientledger.db import CommitGroups, Database, GroupCommitFailed, Tx
from clientledger.kit.errors import ClientLedgerError, Conflict
from clientledger.migrate import upgrade
from clientledger.service_layer import Outcome, Replay
from tests.factories import Ledger, new_practice

MEMBERS = 7  # queued behind the writer that holds the baton


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}", group_commit=8)
    upgrade(db)
    try:
        yield Ledger(db, new_practice(db))
    finally:
        db.dispose()


def _groups(ledger: Ledger) -> CommitGroups:
    groups = ledger.db._groups
    assert groups is not None
    return groups


def _queue_behind(
    ledger: Ledger, first: Callable[[Tx], None], others: list[Callable[[], object]]
) -> list[Future[object]]:
    """Run ``first`` in a write transaction that holds the baton until every one of ``others`` waits
    for it, so they all join its commit group; returns their futures (``first``'s is the last)."""
    groups = _groups(ledger)
    gate = threading.Event()

    def held(tx: Tx) -> None:
        gate.wait(timeout=30)
        first(tx)

    pool = ThreadPoolExecutor(len(others) + 1)
    leader: Future[object] = pool.submit(ledger.run, held)
    while groups._open is None:
        time.sleep(0.001)
    futures = [pool.submit(work) for work in others]
    deadline = time.monotonic() + 30
    while groups._waiting < len(others) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert groups._waiting == len(others)
    gate.set()
    pool.shutdown(wait=True)
    return [*futures, leader]


def _outcome(future: Future[object]) -> object:
    try:
        return future.result()
    except ClientLedgerError as exc:
        return exc.code


def test_concurrent_bills_share_one_commit_and_a_refusal_fails_only_itself(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    clients = [ledger.client(f"Client {n}") for n in range(MEMBERS)]
    for client in clients:
        ledger.prepay(client.id, "cash", 10000)
    appointments = [ledger.appointment(client.id, fee=15000).id for client in clients]
    already_billed = ledger.bill(clients[0].id, [ledger.appointment(clients[0].id, fee=15000).id])
    twice = already_billed.items[0].appointment_id
    work: list[Callable[[], object]] = [
        partial(ledger.bill, c.id, [a]) for c, a in zip(clients[1:], appointments[1:], strict=True)
    ]
    work.append(partial(ledger.bill, clients[0].id, [twice]))  # refused: that session is on a bill
    groups = _groups(ledger)
    commits, members = groups.commits, groups.members

    outcomes = [_outcome(f) for f in _queue_behind(ledger, lambda tx: None, work)]

    assert outcomes[-2] == Conflict.code
    assert groups.commits == commits + 1  # the leader, six bills and one refusal: one commit
    assert groups.members == members + MEMBERS  # the leader and six bills
    for client, bill in zip(clients[1:], outcomes[: MEMBERS - 1], strict=True):
        assert ledger.get_bill(bill.id).balance_due == 5000  # type: ignore[attr-defined]
        assert ledger.get_client(client.id).credit_balance == 0
        assert ledger.get_client(client.id).balance_due == 5000
    refused = ledger.get_client(clients[0].id)
    assert (refused.credit_balance, refused.balance_due) == (0, 5000)  # only its first bill
    assert not ledger.verify()


def test_a_failed_shared_commit_fails_every_member_and_keeps_nothing(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    clients = [ledger.client(f"Client {n}") for n in range(3)]
    appointments = [ledger.appointment(client.id, fee=15000).id for client in clients]

    def breaks_the_commit(tx: Tx) -> None:
        # A foreign key checked only at COMMIT: the group's commit fails, after every member's work.
        tx.conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        tx.conn.execute(
            text(
                "INSERT INTO appointments (id, practice_id, client_id, date, service_code, fee, status, created_at)"
                " VALUES ('appt_orphan', :p, 'no_such_client', '2026-11-02', '90834', 100, 'attended', '2026-11-02')"
            ),
            {"p": tx.practice_id},
        )

    work: list[Callable[[], object]] = [
        partial(ledger.bill, c.id, [a]) for c, a in zip(clients, appointments, strict=True)
    ]
    futures = _queue_behind(ledger, breaks_the_commit, work)

    for future in futures:
        with pytest.raises(GroupCommitFailed):
            future.result()
    for client in clients:
        assert ledger.get_client(client.id).balance_due == 0
        assert ledger.credits(client.id).balance == 0
    bills = text("SELECT count(*) FROM bills WHERE practice_id = :p")
    assert ledger.read(lambda tx: tx.conn.execute(bills, {"p": tx.practice_id}).scalar()) == 0
    assert not ledger.verify()
    # The writer baton is free again: the next use case commits on its own.
    bill = ledger.bill(clients[0].id, [appointments[0]])
    assert ledger.get_bill(bill.id).balance_due == 15000


def test_without_company_every_writer_commits_alone(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    groups = _groups(ledger)
    client = ledger.client()
    commits, members = groups.commits, groups.members
    for _ in range(3):
        ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    assert groups.commits - commits == groups.members - members == 6  # three appointments, three bills


def test_a_retry_in_the_same_group_replays_the_first_answer(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    client = ledger.client()
    ledger.prepay(client.id, "cash", 4000)
    appointment = ledger.appointment(client.id, fee=15000).id
    replay = Replay(key="api:twin", request_hash="same-request", status_code=201)
    data = BillCreate(client_id=client.id, appointment_ids=[appointment])

    def twin() -> Outcome[BillRead]:
        return ledger.runner.outcome(ledger.actor, billing.create_bill, replay=replay, data=data)

    other = ledger.client("Other")
    later = ledger.appointment(other.id, fee=15000).id

    def third() -> BillRead:  # so the retry is not the group's last writer
        return ledger.bill(other.id, [later])

    first, second, _, _ = (f.result() for f in _queue_behind(ledger, lambda tx: None, [twin, twin, third]))

    assert isinstance(first, Outcome) and isinstance(second, Outcome)
    assert first.result.id == second.result.id and first.body == second.body
    assert sorted([first.replayed, second.replayed]) == [False, True]
    assert ledger.get_client(client.id).balance_due == 11000  # billed once, 40.00 of credit applied once
    billed = sorted(e["postings"][0]["client_id"] for e in ledger.entries("bill_created"))
    assert billed == sorted([client.id, other.id])
