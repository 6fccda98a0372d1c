"""``POST /bills`` with auto-applied credit through a real server, beside ``GET /healthz`` of the same server.

``clientledger serve`` with 1 worker on SQLite and 2 workers on PostgreSQL (a fresh schema in the
database at ``CLIENTLEDGER_TEST_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``,
dropped after; skipped when unreachable), loaded by ``wrk`` with 32 connections. The trivial
endpoint measures what the HTTP stack alone costs on this machine; the ratio says how much of that
the money path keeps (aim: >= 0.25, with p99 < 100 ms). Each figure is the median of 3 runs of
``BENCH_HTTP_SECONDS`` (default 5) each; every run is bounded by ``wrk -d`` and a timeout. After
the runs, every bill answered 2xx must have paid itself from credit and ``verify`` must be clean.

``BENCH_HTTP_DATABASES=sqlite`` (or ``postgres``) runs one database only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.factories import Ledger

from clientledger.accounting.verify import verify
from clientledger.appointments.schemas import AppointmentCreate
from clientledger.appointments.service import schedule_appointment
from clientledger.db import Ctx, Database, Tx
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "5"))
RUNS = int(os.environ.get("BENCH_HTTP_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "32"))
APPOINTMENTS = int(os.environ.get("BENCH_HTTP_APPOINTMENTS", "24000"))
POSTGRES_URL = os.environ.get("CLIENTLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = os.environ.get("BENCH_HTTP_DATABASES", "sqlite,postgres").split(",")
WARM_UP = 300
CLIENTS = 8
FEE = 15000
CLI = Path(sys.executable).with_name("clientledger")

# Each run starts at its own line of the sessions file (args[3]) so no session is billed twice;
# past the last line it wraps around, and those requests are 409s, counted as failed.
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
  first = tonumber(args[3])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  local i = (first + offset + counter * stride) % #ids + 1
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


@dataclass(frozen=True)
class Summary:
    """The median run (by req/s) of each endpoint, and the ledger checked after them."""

    label: str
    health: Result
    bills: Result
    health_p99_median: float
    bills_p99_median: float
    problems: int
    paid_from_credit: int
    answered: int

    @property
    def ratio(self) -> float:
        return self.bills.rate / self.health.rate


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str, n: int) -> tuple[str, list[tuple[str, str]]]:
    """A practice (auto-applied credit), clients with plenty of credit, ``n`` unbilled sessions."""
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


@contextmanager
def _server(url: str, workers: int, log: Path) -> Iterator[str]:
    """``clientledger serve`` on a free port; yields the API's base URL; stops the process group after."""
    port = _free_port()
    env = {**os.environ, "CLIENTLEDGER_DATABASE_URL": url}
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(CLI), "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"clientledger serve did not answer /healthz within 60 s:\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wrk(url: str, script: Path, args: list[str]) -> Result:
    wrk = shutil.which("wrk")
    assert wrk is not None
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS:g}s", "--timeout", "10s", "--latency", "-s", str(script)]
    out = subprocess.run(
        [*command, url, "--", *args], capture_output=True, text=True, check=True, timeout=SECONDS + 60
    ).stdout
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert m, out
    n, micros, p50, p99, failed = (int(g) for g in m.groups())
    return Result(n, micros / 1e6, p50 / 1000, p99 / 1000, failed)


def _median(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


def _measure(label: str, url: str, workers: int, tmp: Path) -> Summary:
    token, pairs = _prepare(url, APPOINTMENTS)
    warm, pairs = pairs[:WARM_UP], pairs[WARM_UP:]
    ids = tmp / "pairs.txt"
    ids.write_text("".join(f"{c} {a}\n" for c, a in pairs))
    (tmp / "health.lua").write_text(LUA_DONE)
    (tmp / "bills.lua").write_text(LUA_BILLS + LUA_DONE)
    healths: list[Result] = []
    bills: list[Result] = []
    with _server(url, workers, tmp / "server.log") as base:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
            for client_id, appt_id in warm:  # every worker: compiled statements, connection pools, page cache
                http.post(f"{base}/bills", json={"client_id": client_id, "appointment_ids": [appt_id]})
                http.get(f"{base}/healthz")
        first = 0
        for _ in range(RUNS):
            healths.append(_wrk(f"{base}/healthz", tmp / "health.lua", []))
            run = _wrk(f"{base}/bills", tmp / "bills.lua", [str(ids), token, str(first)])
            bills.append(run)
            first += run.requests + 2 * CONNECTIONS  # and those still in flight when wrk stopped
    answered = sum(r.requests - r.failed for r in bills)
    problems, paid = _check(url)
    return Summary(
        label=label,
        health=_median(healths),
        bills=_median(bills),
        health_p99_median=statistics.median(r.p99_ms for r in healths),
        bills_p99_median=statistics.median(r.p99_ms for r in bills),
        problems=problems,
        paid_from_credit=paid,
        answered=answered,
    )


def _check(url: str) -> tuple[int, int]:
    """``verify``'s problems, and how many bills paid themselves from credit."""
    db = Database(url)
    with db.engine.connect() as conn:
        problems = verify(conn)
        paid = conn.execute(
            text(
                "select count(*) from bills where status = 'paid' and exists (select 1 from bill_lines l"
                " where l.bill_id = bills.id and l.practice_id = bills.practice_id and l.type = 'client_credit')"
            )
        ).scalar_one()
    db.dispose()
    for problem in problems[:3]:
        print(f"  verify: {problem}")
    return len(problems), int(paid)


@contextmanager
def _postgres_schema() -> Iterator[str | None]:
    """A fresh schema in the PostgreSQL database (``None`` if unreachable), dropped after."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        print(f"PostgreSQL unreachable at {POSTGRES_URL} ({type(exc).__name__}): skipped")
        yield None
        return
    u = make_url(POSTGRES_URL)
    try:
        yield u.set(query={**u.query, "options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _print(s: Summary) -> None:
    runs = f"median of {RUNS} runs of {SECONDS:g} s"
    print(f"-- {s.label}: {CONNECTIONS} connections, wrk, {runs} --")
    for name, r, p99 in (
        ("GET  /api/v1/healthz", s.health, s.health_p99_median),
        ("POST /api/v1/bills", s.bills, s.bills_p99_median),
    ):
        print(
            f"{name:22s} {r.rate:8.0f} req/s | p99 {p99:7.1f} ms (medians of the runs) | median run: p50"
            f" {r.p50_ms:.1f} ms, {r.requests} requests, {r.failed} failed"
        )
    aim = "met" if s.ratio >= 0.25 and s.bills_p99_median < 100 else "not met"
    print(f"ratio bills/healthz: {s.ratio:.3f} (aim >= 0.25 with p99 < 100 ms: {aim})")
    print(
        f"bills paid from credit: {s.paid_from_credit} ({s.answered} answered 2xx in the runs, {WARM_UP} in the"
        f" warm-up; requests in flight when wrk stopped land too); verify: "
        + ("clean" if s.problems == 0 else f"{s.problems} PROBLEMS")
    )


def main() -> None:
    print("\n== HTTP: POST /bills (auto-applied credit) vs GET /healthz on the same server ==")
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): skipped")
        return
    if "sqlite" in DATABASES:
        with tempfile.TemporaryDirectory() as tmp:
            _print(_measure("SQLite, 1 worker", f"sqlite:///{tmp}/http-bench.db", 1, Path(tmp)))
    if "postgres" in DATABASES:
        with _postgres_schema() as url, tempfile.TemporaryDirectory() as tmp:
            if url is not None:
                _print(_measure("PostgreSQL, 2 workers", url, 2, Path(tmp)))


if __name__ == "__main__":
    main()
