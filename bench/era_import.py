"""Importing a generated 835 beside parsing the same file with the same library (pyx12), same run.

For 1,000 and 10,000 claims: a practice is set up with one billed insured session per claim (copay
paid in cash), the file is written with ``tests.support.era_generate``, then two fresh processes
each take it: one only parses it (``era835.open_835``, every claim read), one imports it as the
owner through the runner (``importer.import_remittance``: parse, spool, one transaction per claim
group). Fresh processes make peak memory comparable: each reports its peak RSS above its own
baseline once the libraries are loaded.

Aims: import time <= 2x parse time (the ledger's work per claim costs less than reading it), and
peak memory flat from 1,000 to 10,000 claims (claims stream; nothing per claim stays in memory but
its line of the report).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

SIZES = [int(n) for n in os.environ.get("BENCH_ERA_SIZES", "1000,10000").split(",")]
FEES = (15000, 20000, 15000, 20000, 15000)  # synthetic_claims' charge for each kind in its cycle of 5
CHUNK = 500
SESSION_DAY = dt.date(2026, 1, 5)


def _status_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process's address space, in KiB.

    Not ``ru_maxrss``: that survives fork and exec, so a child would report its parent's peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def setup(url: str, path: Path, n: int) -> None:
    """A practice with ``n`` billed insured sessions and the 835 that pays them."""
    from tests.factories import Ledger
    from tests.support.era_generate import generate_835, synthetic_claims

    from clientledger.appointments.schemas import AppointmentCreate
    from clientledger.appointments.service import schedule_appointment
    from clientledger.billing.schemas import BillCreate, PaymentLineCreate
    from clientledger.billing.service import add_payment, create_bill
    from clientledger.db import Ctx, Database, Tx
    from clientledger.migrate import upgrade
    from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name

    db = Database(url)
    upgrade(db)
    ensure_practice_and_owner(db, name="Bench", email="bench@example.com", password="bench-pass-1", ttl=timedelta(1))
    row = find_practice_by_name(db, "Bench")
    assert row is not None
    ledger = Ledger(db, Ctx(practice_id=row.id))
    clients = [ledger.client(f"Client {i}", billing="insurance", copay=3000).id for i in range(max(1, n // 20))]
    refs: list[str] = []

    def bill_chunk(tx: Tx, start: int) -> None:
        for i in range(start, min(start + CHUNK, n)):
            client_id = clients[i % len(clients)]
            visit = AppointmentCreate(client_id=client_id, date=SESSION_DAY, service_code="90834", fee=FEES[i % 5])
            appt = schedule_appointment(tx, data=visit)
            bill = create_bill(tx, data=BillCreate(client_id=client_id, appointment_ids=[appt.id]))
            add_payment(tx, bill_id=bill.id, data=PaymentLineCreate(type="cash", amount=3000))
            assert bill.items[0].claim_ref is not None
            refs.append(bill.items[0].claim_ref)

    for start in range(0, n, CHUNK):
        ledger.run(lambda tx, s=start: bill_chunk(tx, s))  # type: ignore[misc]
    claims = (dataclasses.replace(c, claim_ref=ref) for c, ref in zip(synthetic_claims(n), refs, strict=True))
    path.write_text(generate_835(claims))
    db.dispose()


def worker(mode: str, url: str, path: Path) -> dict[str, float]:
    """Runs in a fresh process: parse-only or import, timed, with peak RSS above the loaded baseline."""
    from tests.factories import Ledger
    from tests.support.era_generate import generate_835

    from clientledger.db import Ctx, Database
    from clientledger.insurance.era835 import open_835
    from clientledger.insurance.importer import import_remittance
    from clientledger.practices.service import find_practice_by_name

    db = Database(url)
    row = find_practice_by_name(db, "Bench")
    assert row is not None
    with open_835(generate_835(n_claims=1)) as warm_up:  # pyx12 loads its X12 maps once per process
        list(warm_up.claims())
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM: the peak is the measured work's alone
        f.write("5")
    baseline = _status_kib("VmRSS")
    start = time.perf_counter()
    if mode == "parse":
        with open_835(path) as reader:
            claims = sum(1 for _ in reader.claims())
    else:
        report = Ledger(db, Ctx(practice_id=row.id)).do(import_remittance, source=path)  # as the owner, via the runner
        claims = report.totals.claims
        assert report.totals.posted == claims, report.totals
    seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM")
    db.dispose()
    return {"seconds": seconds, "claims": claims, "peak_mib": (peak - baseline) / 1024, "rss_mib": peak / 1024}


def _spawn(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.era_import", *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    import pyx12

    print(f"\n835 import vs parse-only (pyx12 {pyx12.__version__}, SQLite WAL synchronous=FULL, fresh process each)")
    print(f"{'claims':>8} {'parse-only':>11} {'import':>9} {'ratio':>6} {'per claim':>10}  peak memory above baseline")
    with tempfile.TemporaryDirectory(prefix="bench-era-") as tmp:
        for n in SIZES:
            url, path = f"sqlite:///{tmp}/era-{n}.db", Path(tmp) / f"era-{n}.835"
            setup(url, path, n)
            parse = _spawn("parse", url, str(path))
            imp = _spawn("import", url, str(path))
            ratio = imp["seconds"] / parse["seconds"]
            print(
                f"{n:>8,} {parse['seconds']:>10.2f}s {imp['seconds']:>8.2f}s {ratio:>5.2f}x "
                f"{imp['seconds'] / n * 1000:>8.2f}ms  parse {parse['peak_mib']:.1f} MiB, "
                f"import {imp['peak_mib']:.1f} MiB (RSS {imp['rss_mib']:.0f} MiB)"
            )
    print("aims: import <= 2x parse-only; peak memory flat from 1,000 to 10,000 claims")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("parse", "import"):
        print(json.dumps(worker(sys.argv[1], sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
