"""Amount limits read in dollars in the web UI: people type dollars, never cents."""

from __future__ import annotations

from tests.web.desk import Desk


def test_a_too_large_credit_is_refused_in_dollars(desk: Desk) -> None:
    client = desk.ledger.client("Ada Large")

    answer = desk.submit(f"/clients/{client.id}/billing/credits/new", amount="2,000,000,000", reason="courtesy")

    assert "Amount must be at most $1,000,000,000.00" in answer
    assert "100000000000" not in answer and "Input should be" not in answer
    assert desk.ledger.credits(client.id).balance == 0
