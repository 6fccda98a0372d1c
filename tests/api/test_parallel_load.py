"""A real server (``clientledger serve --workers 2``) under concurrent money requests against one client.

Bills auto-applying credit, credit payments and refunds race for the same, too small, credit
balance. Whatever the interleaving: no 5xx, credit never spent twice (applied + refunded + left
equals what was ever funded), and ``verify`` finds the journal and every balance in agreement.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clientledger.db import Ctx, Database
from clientledger.models import bill_lines, bills, credit_lots, line_lots, refunds
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name
from tests.api.conftest import ledger_problems
from tests.factories import Ledger
from tests.support.server import running_server


@pytest.fixture(scope="module")
def server(db: Database, database_url: str) -> Iterator[str]:
    """``clientledger serve --workers 2`` on a free port, sharing the test's database."""
    with running_server(database_url, workers=2) as base:
        yield base


def _setup(db: Database) -> tuple[str, Ledger, str]:
    token = ensure_practice_and_owner(
        db, name="Load Practice", email="load@example.com", password="load-pass-1", ttl=timedelta(hours=1)
    )
    row = find_practice_by_name(db, "Load Practice")
    assert row is not None
    return token, Ledger(db, Ctx(practice_id=row.id)), row.id


def test_concurrent_money_requests_never_spend_credit_twice(server: str, db: Database) -> None:
    token, ledger, pid = _setup(db)
    client = ledger.client("Contended Client")
    cash = ledger.prepay(client.id, "cash", 40000)
    card = ledger.prepay(client.id, "card", 20000)
    to_bill = [ledger.appointment(client.id, fee=1500).id for _ in range(30)]
    open_bills = [
        ledger.bill(client.id, [ledger.appointment(client.id, fee=6000).id], apply_credit=False) for _ in range(12)
    ]
    twin_appt = ledger.appointment(client.id, fee=3000).id

    requests: list[tuple[str, str, dict[str, Any], str | None]] = []
    requests += [("POST", "/bills", {"client_id": client.id, "appointment_ids": [a]}, None) for a in to_bill]
    for bill in open_bills:
        requests += [("POST", f"/bills/{bill.id}/payments", {"type": "client_credit", "amount": 2500}, None)] * 2
    requests += [("POST", f"/payments/{cash.id}/refunds", {"amount": 1500}, None)] * 8
    requests += [("POST", f"/payments/{card.id}/refunds", {"amount": 2000}, None)] * 4
    requests += [("POST", "/bills", {"client_id": client.id, "appointment_ids": [twin_appt]}, "twin-bill")] * 6
    assert len(requests) >= 64
    random.Random(7).shuffle(requests)  # interleave bills, credit payments and refunds

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server + "/api/v1", headers=headers, timeout=60) as http:

        def fire(req: tuple[str, str, dict[str, Any], str | None]) -> tuple[int, Any]:
            method, path, body, key = req
            r = http.request(method, path, json=body, headers={"Idempotency-Key": key} if key else {})
            return r.status_code, r.json()

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            answers = list(pool.map(fire, requests))

    statuses = Counter(status for status, _ in answers)
    assert all(status < 500 for status in statuses), statuses
    refusals = {body["error"]["code"] for status, body in answers if status >= 400}
    assert refusals <= {"insufficient_credit", "exceeds_refundable", "exceeds_balance_due"}, refusals
    twins = [body for (_, _, _, key), (status, body) in zip(requests, answers, strict=True) if key and status == 201]
    assert twins and all(t == twins[0] for t in twins)

    with db.engine.connect() as conn:
        funded = conn.execute(
            select(func.sum(credit_lots.c.amount)).where(
                credit_lots.c.practice_id == pid, credit_lots.c.client_id == client.id
            )
        ).scalar()
        left = conn.execute(
            select(func.sum(credit_lots.c.remaining)).where(
                credit_lots.c.practice_id == pid, credit_lots.c.client_id == client.id
            )
        ).scalar()
        applied = conn.execute(
            select(func.coalesce(func.sum(line_lots.c.amount), 0))
            .select_from(
                line_lots.join(
                    bill_lines, (bill_lines.c.practice_id == pid) & (bill_lines.c.id == line_lots.c.line_id)
                ).join(bills, (bills.c.practice_id == pid) & (bills.c.id == bill_lines.c.bill_id))
            )
            .where(line_lots.c.practice_id == pid, bills.c.client_id == client.id, bill_lines.c.removed_at.is_(None))
        ).scalar()
        refunded = conn.execute(
            select(func.coalesce(func.sum(refunds.c.from_credit), 0)).where(
                refunds.c.practice_id == pid, refunds.c.payment_id.in_([cash.id, card.id]), refunds.c.status != "failed"
            )
        ).scalar()
    assert funded == 60000 and left is not None and applied is not None and refunded is not None
    assert left >= 0 and applied + refunded + left == funded
    assert ledger.get_client(client.id).credit_balance == left
    assert len([b for b in ledger.entries("bill_created")]) == 12 + len(to_bill) + 1
    assert ledger_problems(db) == []
