"""A real server (``clientledger serve``) sent 300 MB bodies: refused unread, the worker's memory flat.

A body streamed without a token is 401, one streamed with a token to a 1 MiB address is 413, and
the worker's resident memory grows by less than 50 MiB meanwhile (it grew by 860 MiB when every
body was read whole before the token was looked at).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from clientledger.db import Database
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner
from tests.support.server import serving

MIB = 1024 * 1024
BODY_MIB = 300


@dataclass
class Server:
    base: str
    pid: int
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``clientledger serve --workers 1``: uvicorn runs in the serve process itself, so its pid is the worker's."""
    url = f"sqlite:///{tmp_path_factory.mktemp('edge-server') / 'ledger.db'}"
    db = Database(url)
    upgrade(db)
    token = ensure_practice_and_owner(
        db, name="Edge Practice", email="edge@example.com", password="edge-pass-1", ttl=timedelta(hours=1)
    )
    db.dispose()
    with serving(url, workers=1) as served:
        yield Server(served.base, served.pid, token)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _body() -> Iterator[bytes]:
    chunk = b"x" * MIB
    for _ in range(BODY_MIB):
        yield chunk


def _send(server: Server, headers: dict[str, str]) -> tuple[httpx.Response, float]:
    """POST 300 MB, chunked, to ``/clients``; the answer and the worker's peak RSS growth meanwhile."""
    # A first request warms the worker (imports, the database pool) so that the baseline is its working size.
    httpx.post(f"{server.base}/api/v1/clients", json={"name": "Warm"}, headers=headers, timeout=10)
    baseline = _rss_mib(server.pid)
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_mib(server.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = httpx.post(
            f"{server.base}/api/v1/clients",
            content=_body(),
            headers={**headers, "Content-Type": "application/json"},
            timeout=httpx.Timeout(60),
        )
    finally:
        done.set()
        sampler.join()
    return response, peak - baseline


def test_300_mb_streamed_without_a_token_is_401_and_the_worker_stays_small(server: Server) -> None:
    response, growth = _send(server, {})

    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert growth < 50, f"the worker grew by {growth:.0f} MiB"


def test_300_mb_streamed_with_a_token_is_413_and_the_worker_stays_small(server: Server) -> None:
    response, growth = _send(server, {"Authorization": f"Bearer {server.token}"})

    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert growth < 50, f"the worker grew by {growth:.0f} MiB"
    names = httpx.get(
        f"{server.base}/api/v1/clients", headers={"Authorization": f"Bearer {server.token}"}, timeout=10
    ).json()["data"]
    assert [c["name"] for c in names] == ["Warm"]
