"""``clientledger serve --workers 2``: uvloop and httptools in every worker, and a revoked token
refused at once by both workers (each reads the token on every request; nothing is cached).

Which worker serves a connection is found from ``/proc``: the worker holding the accepted socket.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import API, new_owner
from tests.support.server import serving

MAX_CONNECTIONS = 64


@dataclass
class Workers:
    port: int
    pids: list[int]


@pytest.fixture(scope="module")
def workers(db: Database, database_url: str) -> Iterator[Workers]:
    """A 2-worker server, yielded once both workers answer (the first to start answers alone at first)."""
    with serving(database_url, workers=2, start_timeout=90) as served:
        port = int(served.base.rsplit(":", 1)[1])
        found = Workers(port, _children(served.pid))
        answered: set[int | None] = set()
        deadline = time.monotonic() + 60
        while not set(found.pids) <= answered and time.monotonic() < deadline:
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", API + "/healthz")
                conn.getresponse().read()
                answered.add(_worker_of(conn, found))
            finally:
                conn.close()
            time.sleep(0.05)
        assert set(found.pids) <= answered, "both workers did not start answering within 60 s"
        yield found


def _children(pid: int) -> list[int]:
    """The worker processes uvicorn spawned (not multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the connection from ``client_port`` (``/proc/net/tcp``)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return inode
    return None


def _worker_of(conn: HTTPConnection, workers: Workers) -> int | None:
    assert conn.sock is not None
    inode = _socket_inode(workers.port, conn.sock.getsockname()[1])
    for pid in workers.pids:
        fds = Path(f"/proc/{pid}/fd")
        for fd in fds.iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def _get(conn: HTTPConnection, path: str, token: str, method: str = "GET") -> tuple[int, dict[str, object]]:
    conn.request(method, API + path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read()
    return response.status, (json.loads(body) if body else {})


def test_every_worker_runs_on_uvloop_and_httptools(workers: Workers) -> None:
    assert len(workers.pids) == 2
    for pid in workers.pids:
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert "/uvloop/" in maps, f"worker {pid} has not loaded uvloop"
        assert "/httptools/" in maps, f"worker {pid} has not loaded httptools"


def test_a_revoked_token_is_refused_at_once_by_both_workers(workers: Workers, http: TestClient, db: Database) -> None:
    owner = new_owner(http, db)
    biller = owner.login_as("biller")
    # Connections until each worker serves at least one, every one used with the token first.
    by_worker: dict[int, list[HTTPConnection]] = {}
    opened: list[HTTPConnection] = []
    try:
        while len(by_worker) < 2 and len(opened) < MAX_CONNECTIONS:
            conn = HTTPConnection("127.0.0.1", workers.port, timeout=10)
            opened.append(conn)
            assert _get(conn, "/practice", biller.token)[0] == 200
            pid = _worker_of(conn, workers)
            assert pid is not None
            by_worker.setdefault(pid, []).append(conn)
        assert sorted(by_worker) == sorted(workers.pids), "the two workers did not both take connections"

        # Log out through one worker...
        assert _get(by_worker[workers.pids[0]][0], "/auth/tokens/current", biller.token, method="DELETE")[0] == 204

        # ...and the very next request on every connection, in either worker, is refused.
        for conns in by_worker.values():
            for conn in conns:
                status, body = _get(conn, "/practice", biller.token)
                assert status == 401
                assert body["error"] == {"code": "unauthorized", "message": "The bearer token has been revoked."}
                assert _get(conn, "/practice", owner.token)[0] == 200  # the owner's token still works there
    finally:
        for conn in opened:
            conn.close()
