"""``POST /bills`` with auto-applied credit through a real server, beside ``GET /healthz`` of the same server.

One ``clientledger serve`` worker on SQLite, 32 concurrent connections. The trivial endpoint
measures what the HTTP stack alone costs on this machine; the ratio says how much of that the
money path keeps (aim: >= 0.25). The load generator is ``wrk`` with a Lua script when installed
(``apt-get install wrk``), else several Python client processes (which may then be the bottleneck
for the trivial endpoint, so the ratio reads high). ``BENCH_HTTP_LOADGEN=python`` forces those.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
from tests.factories import Ledger

from clientledger.accounting.verify import verify
from clientledger.appointments.schemas import AppointmentCreate
from clientledger.appointments.service import schedule_appointment
from clientledger.db import Ctx, Database, Tx
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "32"))
APPOINTMENTS = int(os.environ.get("BENCH_HTTP_APPOINTMENTS", "20000"))
CLIENTS = 8
FEE = 15000
CLI = Path(sys.executable).with_name("clientledger")

LUA_BILLS = """
-- globals, not locals: thread:set() writes globals of each thread's Lua state
ids = {}
counter = 0
stride = 1
offset = 0
threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do t:set("stride", #threads) end
end

function init(args)
  for line in io.lines(args[1]) do table.insert(ids, line) end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  local i = offset + counter * stride + 1
  counter = counter + 1
  local client_id, appt_id = ids[i]:match("([^ ]+) ([^ ]+)")
  local body = '{"client_id":"' .. client_id .. '","appointment_ids":["' .. appt_id .. '"]}'
  return wrk.format(nil, nil, nil, body)
end
"""

LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str, n: int) -> tuple[str, list[tuple[str, str]]]:
    """A practice, clients with plenty of credit, and ``n`` unbilled sessions (one per request)."""
    db = Database(url)
    upgrade(db)
    token = ensure_practice_and_owner(db, name="Bench", email="bench@example.com", password=None, ttl=timedelta(1))
    row = find_practice_by_name(db, "Bench")
    assert row is not None
    ledger = Ledger(db, Ctx(practice_id=row.id))
    clients = [ledger.client(f"Bench Client {i}").id for i in range(CLIENTS)]
    for client_id in clients:
        ledger.prepay(client_id, "cash", FEE * (n // CLIENTS + 10))
    pairs: list[tuple[str, str]] = []
    for start in range(0, n, 1000):  # one transaction per thousand: setup, not the thing measured
        chunk = [clients[i % CLIENTS] for i in range(start, min(n, start + 1000))]
        made = ledger.run(lambda tx, chunk=chunk: _schedule(tx, chunk))  # type: ignore[misc]
        pairs += list(zip(chunk, made, strict=True))
    db.dispose()
    return token, pairs


def _schedule(tx: Tx, client_ids: list[str]) -> list[str]:
    data = [AppointmentCreate(client_id=c, date=date(2026, 11, 2), service_code="90834", fee=FEE) for c in client_ids]
    return [schedule_appointment(tx, data=d).id for d in data]


def _start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLIENTLEDGER_DATABASE_URL": url}
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port), "--workers", "1", "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("clientledger serve did not answer /healthz within 30 s")


def _wrk(url: str, script: Path, args: list[str]) -> Result:
    wrk = shutil.which("wrk")
    assert wrk is not None
    out = subprocess.run(
        [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS:g}s", "--timeout", "10s", "-s", str(script), url, "--", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert m, out
    n, micros, p50, p99, failed = (int(g) for g in m.groups())
    return Result(n, micros / 1e6, p50 / 1000, p99 / 1000, failed)


async def _py_worker(
    url: str, token: str, pairs: list[tuple[str, str]], connections: int, seconds: float
) -> list[float]:
    latencies: list[float] = []
    next_pair = iter(pairs)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as http:
        stop = time.perf_counter() + seconds

        async def loop() -> None:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                if pairs:
                    client_id, appt_id = next(next_pair)
                    r = await http.post(url, json={"client_id": client_id, "appointment_ids": [appt_id]})
                else:
                    r = await http.get(url)
                latencies.append(time.perf_counter() - start if r.status_code < 400 else -1.0)

        await asyncio.gather(*(loop() for _ in range(connections)))
    return latencies


def _py_process(job: tuple[str, str, list[tuple[str, str]], int, float]) -> list[float]:
    return asyncio.run(_py_worker(*job))


def _python_load(url: str, token: str, pairs: list[tuple[str, str]]) -> Result:
    procs = 4
    jobs = [(url, token, pairs[i::procs], CONNECTIONS // procs, SECONDS) for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        lat = [x for part in pool.map(_py_process, jobs) for x in part]
    ok = sorted(x for x in lat if x >= 0)

    def pct(q: float) -> float:
        return ok[min(len(ok) - 1, int(q * len(ok)))] * 1000 if ok else 0.0

    return Result(len(lat), SECONDS, pct(0.50), pct(0.99), len(lat) - len(ok))  # each process loads for SECONDS


def _print(label: str, r: Result) -> None:
    print(
        f"{label:26s} {r.rate:8.0f} req/s | p50 {r.p50_ms:7.1f} ms | p99 {r.p99_ms:7.1f} ms"
        f" | {r.requests} requests, {r.failed} failed"
    )


def main() -> None:
    use_wrk = shutil.which("wrk") is not None and os.environ.get("BENCH_HTTP_LOADGEN") != "python"
    tool = "wrk" if use_wrk else "Python client processes"
    title = f"POST /bills (auto-applied credit) vs GET /healthz: 1 worker, SQLite, {CONNECTIONS} connections"
    print(f"\n== HTTP: {title}, {tool} ==")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/http-bench.db"
        token, pairs = _prepare(url, APPOINTMENTS)
        warm, pairs = pairs[:300], pairs[300:]
        port = _free_port()
        proc = _start_server(url, port)
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
                for client_id, appt_id in warm:  # compiled statements, connection pool, page cache
                    http.post(f"{base}/bills", json={"client_id": client_id, "appointment_ids": [appt_id]})
                    http.get(f"{base}/healthz")
            if use_wrk:
                ids = Path(tmp) / "pairs.txt"
                ids.write_text("".join(f"{c} {a}\n" for c, a in pairs))
                (Path(tmp) / "health.lua").write_text(LUA_DONE)
                (Path(tmp) / "bills.lua").write_text(LUA_BILLS + LUA_DONE)
                health = _wrk(f"{base}/healthz", Path(tmp) / "health.lua", [])
                bills = _wrk(f"{base}/bills", Path(tmp) / "bills.lua", [str(ids), token])
            else:
                health = _python_load(f"{base}/healthz", token, [])
                bills = _python_load(f"{base}/bills", token, pairs)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        _check(url, bills.requests - bills.failed)
    _print("GET  /api/v1/healthz", health)
    _print("POST /api/v1/bills", bills)
    print(f"ratio bills/healthz: {bills.rate / health.rate:.2f} (aim >= 0.25)")


def _check(url: str, expected_bills: int) -> None:
    """The bills the server created paid themselves from credit, and the ledger still verifies."""
    db = Database(url)
    with db.engine.connect() as conn:
        problems = verify(conn)
        paid = conn.exec_driver_sql(
            "select count(*) from bills where status = 'paid' and exists "
            "(select 1 from bill_lines l where l.bill_id = bills.id and l.type = 'client_credit')"
        ).scalar()
    db.dispose()
    if problems:
        print(f"WARNING: verify found {len(problems)} problems, e.g. {problems[0]}")
    print(
        f"bills paid from credit: {paid} ({expected_bills} answered 2xx in the run, 300 in the warm-up;"
        " requests still in flight when the load generator stopped land too)"
    )


if __name__ == "__main__":
    main()
