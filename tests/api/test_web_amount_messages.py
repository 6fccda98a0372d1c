"""Amount limits read in dollars in the web UI: people type dollars, never cents."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api
from tests.api.web_staff import Staff, sign_in


@pytest.fixture
def staff(owner: Api, db: Database, http: TestClient) -> Staff:
    return sign_in(owner, db, http)


def test_a_too_large_credit_is_refused_in_dollars(staff: Staff) -> None:
    client = staff.ledger.client("Ada Large")

    answer = staff.post(f"/clients/{client.id}/billing/credits/new", amount="2,000,000,000", reason="courtesy")

    assert "Amount must be at most $1,000,000,000.00" in answer
    assert "100000000000" not in answer and "Input should be" not in answer
    assert staff.ledger.credits(client.id).balance == 0
