"""A real ``clientledger serve`` process for tests that need several API worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

CLI = Path(sys.executable).with_name("clientledger")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:<port>
    pid: int  # the serve process (with --workers 1, uvicorn serves in it: the worker's pid)
    process: subprocess.Popen[bytes] | None = None  # to see how it ends


@contextmanager
def running_server(database_url: str, *, workers: int = 2, start_timeout: float = 30) -> Iterator[str]:
    """``clientledger serve --workers N`` on a free port, on ``database_url`` (already migrated).

    Yields the base URL once ``/api/v1/healthz`` answers; stops the whole process group after.
    """
    with serving(database_url, workers=workers, start_timeout=start_timeout) as served:
        yield served.base


@contextmanager
def serving(database_url: str, *, workers: int = 2, start_timeout: float = 30) -> Iterator[Served]:
    """As ``running_server``, yielding the process's pid beside the base URL."""
    # Its log goes to a file, not a pipe: a pipe nobody reads stalls the server once full, and
    # reading one from a live server never ends.
    with tempfile.TemporaryFile() as log:
        port = _free_port()
        env = {**os.environ, "CLIENTLEDGER_DATABASE_URL": database_url}
        proc = subprocess.Popen(
            [str(CLI), "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"server did not start within {start_timeout:g} s: {log.read()[-4000:]!r}")
                time.sleep(0.1)
            yield Served(base, proc.pid, proc)
        finally:
            with suppress(ProcessLookupError):  # it may have exited already
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
