"""``clientledger serve`` delivers webhooks (one delivery worker, in the serve process itself, however
many API workers), and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import API, new_owner
from tests.support.server import serving
from tests.support.webhooks import add_event, receiving


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_sends_each_event_once_and_stops_on_sigterm(
    workers: int, database_url: str, db: Database, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", "true")  # inherited by the server
    owner = new_owner(http, db)
    with receiving() as receiver, serving(database_url, workers=workers, start_timeout=90) as served:
        r = httpx.post(
            f"{served.base}{API}/webhook-endpoints", json={"url": receiver.url}, headers=owner.headers(), timeout=10
        )
        assert r.status_code == 201, r.text
        ids = [add_event(db, owner.practice_id, "payment.created") for _ in range(3)]
        deadline = time.monotonic() + 20  # the contract's first attempt is within 5 s; a slow CI gets more
        while len(receiver.hits) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a pass or two more: nothing is sent again
        assert sorted(receiver.event_ids()) == sorted(ids)

        assert served.process is not None
        os.killpg(served.pid, signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
