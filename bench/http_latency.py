"""One keep-alive connection sending ``GET /healthz`` one after another, against 1 and 2 workers.

No concurrency: each request waits for the previous answer, so the figures are the latency a single
browser tab or API client sees. More workers must not make that slower; a constant ~40 ms added
with ``--workers 2`` is Nagle's algorithm meeting the client's delayed ACK (TCP_NODELAY missing on
the sockets the workers accept from the listening socket they share).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REQUESTS = int(os.environ.get("BENCH_LATENCY_REQUESTS", "200"))
CLI = Path(sys.executable).with_name("clientledger")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLIENTLEDGER_DATABASE_URL": url}
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v1/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("clientledger serve did not answer /healthz within 30 s")


def _one_connection(port: int, n: int) -> list[float]:
    """Seconds per request, ``n`` sequential requests over one connection (after a short warm-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    for i in range(n + 20):
        start = time.perf_counter()
        conn.request("GET", "/api/v1/healthz")
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        if i >= 20:
            latencies.append(time.perf_counter() - start)
    conn.close()
    return latencies


def _pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000


def main() -> None:
    print(f"\n== HTTP: one keep-alive connection, {REQUESTS} sequential GET /healthz, SQLite ==")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/latency-bench.db"
        for workers in (1, 2):
            port = _free_port()
            proc = _start_server(url, port, workers)
            try:
                lat = sorted(_one_connection(port, REQUESTS))
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            print(f"--workers {workers}: p50 {_pct(lat, 0.50):6.2f} ms | p99 {_pct(lat, 0.99):6.2f} ms")


if __name__ == "__main__":
    main()
