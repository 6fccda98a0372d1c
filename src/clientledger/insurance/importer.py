"""Posting an 835 remittance: every claim on its own, none half-posted, a damaged file not at all.

Two passes over one parse. The file is read once with ``era835.open_835`` (streaming: one claim
loop in memory at a time), and the parsed claims are pickled to a temporary file, ``SPOOL_CHUNK``
to a pickle (a pickle per claim repeated every class reference). Envelope damage at the end of a
file (a wrong SE count, a missing IEA) is only known after the last claim, so nothing is posted
until the whole file has been read and found sound; then the spooled claims are posted. Memory
stays flat in the number of claims (the spool is on disk), a malformed file posts nothing, and one
bad claim never holds up the rest.

Each claim is its own unit: every check that can refuse it (match, balance, payer, session) runs
before its first write (``service.plan_decision``), so a refused claim writes nothing, and a
posted one writes its entry, its insurance payment and its idempotency key together. Claims are
committed in groups of ``CLAIMS_PER_COMMIT``: a commit costs an fsync, which with SQLite's
``synchronous=FULL`` took as long as parsing a claim. If a group's transaction fails as a whole
(a PostgreSQL deadlock between two imports, a racing twin upload winning a key), the group is
posted again one transaction per claim, so one claim's trouble never takes another with it.

A group reads what its claims need in three statements (their clients, locked on PostgreSQL in id
order; their items; which of their keys were posted before) and writes the rows nothing in it reads
back (items' insurance columns, insurance payments, keys) one statement per table at its end.

Per claim (the checks are ``rules.insurance``'s): CLP01 finds the item by ``claim_ref``; the
claim must balance (charge = paid + every CAS amount), its CLP05 must equal its PR adjustments
(claim and line level) and its charge must be the fee billed; CLP02 22 reverses the payer's
decision in force. A claim that does not match or
does not add up is reported ``unmatched``/``unbalanced`` with the reason and posts nothing.

A re-imported file posts nothing new: each posted claim leaves a key (payer, TRN trace number,
claim_ref, CLP02 and the claim's occurrence among equal ones in the file) under a unique index, so
the same claim reports ``duplicate``, even when two uploads of one file race.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy.exc import DBAPIError, IntegrityError

from clientledger.audit.service import record_event
from clientledger.clients.repository import lock_client
from clientledger.db import Ctx, Database, Tx, UnitOfWork
from clientledger.insurance import repository as repo
from clientledger.insurance.era835 import ClaimPayment, RemittanceHeader, Source, format_amount, open_835
from clientledger.insurance.remittance import InvalidRemittance
from clientledger.insurance.report import ImportReport, Outcome, ReportWriter
from clientledger.insurance.schemas import EraImportRead
from clientledger.insurance.service import CreatedLot, EraSource, carry_out, plan_decision, plan_reversal
from clientledger.kit.errors import ClientLedgerError
from clientledger.kit.use_cases import Permission, use_case
from clientledger.rules.insurance import Adjustment, ClaimUnbalanced, check_remittance_claim

#: Claims sharing one commit (their fsync). 50 holds SQLite's write lock for about a tenth of a second;
#: 1 gives one transaction per claim. Either way a claim posts whole or not at all.
CLAIMS_PER_COMMIT = 50

#: Claims to one pickle in the spool (the few kilobytes held while reading).
SPOOL_CHUNK = 50

#: ``progress(phase, done, total)``: phase ``"reading"`` (total unknown) then ``"posting"``.
Progress = Callable[[str, int, int | None], None]


def _no_progress(phase: str, done: int, total: int | None) -> None:
    return None


@dataclass
class _Spool:
    """The parsed claims of one file, on disk, with what the report needs from the whole file."""

    file: IO[bytes]
    header: RemittanceHeader
    count: int = 0
    paid_total: int = 0
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[ClaimPayment, str]]:
        self.file.seek(0)
        left = self.count
        while left:
            chunk: list[tuple[ClaimPayment, str]] = pickle.load(self.file)  # our own spool, written by _read
            left -= len(chunk)
            yield from chunk

    def write(self, chunk: list[tuple[ClaimPayment, str]]) -> None:
        if chunk:
            pickle.dump(chunk, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += len(chunk)


def import_era(
    db: Database,
    ctx: Ctx,
    source: Source,
    *,
    progress: Progress = _no_progress,
    claims_per_commit: int = CLAIMS_PER_COMMIT,
) -> ImportReport:
    """Import one 835 for the practice in ``ctx``; raises ``InvalidRemittance`` (422) for a bad file."""
    digest = file_sha256(source)
    writer = ReportWriter()
    with tempfile.TemporaryFile(prefix="clientledger-835-") as spool_file:
        try:
            spool = _read(source, spool_file, progress)
        except InvalidRemittance as exc:
            _audit_refusal(db, ctx, digest, exc)
            raise
        header = spool.header
        with db.transaction(ctx) as tx:
            created_at = tx.now
            import_id = repo.insert_import(
                tx,
                payer_id=header.payer_id,
                payer_name=header.payer_name,
                trace=header.trace_number,
                file_sha256=digest,
                payment_total=header.payment_total,
                check_date=header.check_date,
            )
        progress("posting", 0, spool.count)
        batch: list[tuple[ClaimPayment, str]] = []
        done = 0
        for entry in spool:
            batch.append(entry)
            if len(batch) >= claims_per_commit or done + len(batch) == spool.count:
                for outcome in _post_batch(db, ctx, header, batch, import_id):
                    writer.add(outcome)
                done += len(batch)
                batch = []
                progress("posting", done, spool.count)
    report = writer.finish(import_id=import_id, header=header, created_at=created_at, warnings=spool.warnings)
    with db.transaction(ctx) as tx:
        repo.save_report(tx, import_id, report.json)
        _audit_import(tx, report)
    return report


def _audit_import(tx: Tx, report: ImportReport) -> None:
    """Every import is on the audit trail, one that posted nothing (all duplicates, say) included."""
    t = report.totals
    record_event(
        tx,
        action="era_import.received",
        object_ids=[report.id],
        detail={
            "trace": report.trace,
            "payer": report.payer_name,
            "claims": t.claims,
            "posted": t.posted,
            "duplicate": t.duplicate,
            "unmatched": t.unmatched,
            "unbalanced": t.unbalanced,
            "paid_posted": t.paid_posted,
        },
    )


def _audit_refusal(db: Database, ctx: Ctx, digest: str, exc: InvalidRemittance) -> None:
    """A file refused as no valid 835 (422) leaves only this event: who sent what, and why it was refused."""
    with db.transaction(ctx) as tx:
        record_event(
            tx,
            action="era_import.refused",
            object_ids=[ctx.user_id],
            detail={"file_sha256": digest, "reason": exc.message},
        )


@use_case(Permission.BILL, batched=True, replays_as=EraImportRead)
def import_remittance(work: UnitOfWork, *, source: Source, progress: Progress = _no_progress) -> ImportReport:
    """Post an 835 file for the practice: claim groups commit one by one (see ``import_era``)."""
    return import_era(work.db, work.ctx, source, progress=progress)


@use_case(Permission.READ)
def get_era_import(tx: Tx, *, import_id: str) -> EraImportRead:
    """An earlier import's report, as it was answered."""
    return EraImportRead.model_validate_json(repo.get_import_row(tx, import_id).report)


def file_sha256(source: Source) -> str:
    """The file's fingerprint, read in chunks; a stream is put back where it was."""
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
    elif isinstance(source, str):
        digest.update(source.encode())
    elif isinstance(source, os.PathLike):
        with open(Path(source), "rb") as f:
            while block := f.read(1 << 16):
                digest.update(block)
    else:
        start = source.tell()
        while piece := source.read(1 << 16):
            digest.update(piece.encode() if isinstance(piece, str) else piece)
        source.seek(start)
    return digest.hexdigest()


def _read(source: Source, spool_file: IO[bytes], progress: Progress) -> _Spool:
    """Parse the whole file once, spooling claims; ``InvalidRemittance`` here means nothing posts."""
    occurrences: Counter[tuple[str, str]] = Counter()
    with open_835(source) as reader:
        spool = _Spool(file=spool_file, header=reader.header)
        progress("reading", 0, None)
        chunk: list[tuple[ClaimPayment, str]] = []
        for claim in reader.claims():
            occurrences[(claim.claim_ref, claim.status_code)] += 1
            key = f"{claim.claim_ref}#{claim.status_code[:3]}#{occurrences[(claim.claim_ref, claim.status_code)]}"
            chunk.append((claim, key))
            if len(chunk) == SPOOL_CHUNK:
                spool.write(chunk)
                chunk = []
            spool.paid_total += claim.paid
            progress("reading", spool.count + len(chunk), None)
        spool.write(chunk)
        plb = sum(p.amount for p in reader.provider_adjustments)
        spool.warnings += reader.warnings
    if plb:
        spool.warnings.append(
            f"Provider-level adjustments (PLB) of {format_amount(plb)} were not posted: they belong to no claim."
        )
    if spool.header.payment_total != spool.paid_total - plb:
        spool.warnings.append(
            f"The payment total (BPR02 {format_amount(spool.header.payment_total)}) differs from what the claims "
            f"paid less provider adjustments ({format_amount(spool.paid_total - plb)})."
        )
    return spool


def _post_batch(
    db: Database, ctx: Ctx, header: RemittanceHeader, batch: list[tuple[ClaimPayment, str]], import_id: str
) -> list[Outcome]:
    """Claims under one commit. A claim is refused before its first write, so it posts whole or not at all.

    If the transaction itself fails (a concurrent upload of the same file won a claim's key on
    PostgreSQL, two imports deadlocked, a lost connection), the group is posted again one
    transaction per claim, so that one claim's trouble stays its own.
    """
    try:
        with db.transaction(ctx) as tx:
            return _post_group(tx, header, batch, import_id)
    except IntegrityError:
        if len(batch) == 1:
            return [_duplicate_or_raise(db, ctx, header, *batch[0])]
    except DBAPIError:
        if len(batch) == 1:
            raise
    return [outcome for entry in batch for outcome in _post_batch(db, ctx, header, [entry], import_id)]


def _post_group(
    tx: Tx, header: RemittanceHeader, batch: list[tuple[ClaimPayment, str]], import_id: str
) -> list[Outcome]:
    """The group's claims in file order, on what three statements read for all of them at once.

    The group's clients are locked first (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises),
    then their items and the group's keys are read, so what was read stays true until commit, except
    what the group itself writes: a claim whose client an earlier claim of the group posted to is
    read again, after the queued rows (``repo.Pending``) are written.
    """
    readable = [(claim, key) for claim, key in batch if not claim.has_problems]
    if readable:
        group = repo.claim_group(
            tx,
            claim_refs=sorted({claim.claim_ref for claim, _ in readable}),
            payer_id=header.payer_id,
            trace=header.trace_number,
            claim_keys=[key for _, key in readable],
        )
    else:
        group = repo.ClaimGroup({}, {}, {})
    pending = repo.Pending()
    written: set[str] = set()  # clients this group has posted to: their rows moved since the group read
    outcomes = []
    for claim, key in batch:
        outcomes.append(_post_claim(tx, header, claim, key, import_id, group, pending, written))
    pending.flush(tx)
    return outcomes


def _duplicate_or_raise(db: Database, ctx: Ctx, header: RemittanceHeader, claim: ClaimPayment, key: str) -> Outcome:
    """A claim's key was taken while it posted: a twin upload got there first (else it is a bug)."""
    with db.transaction(ctx, write=False) as tx:
        bill_id = repo.claim_already_posted(tx, payer_id=header.payer_id, trace=header.trace_number, claim_key=key)
    if bill_id is None:
        raise RuntimeError(f"claim {claim.claim_ref} broke a database constraint while posting")
    return _outcome(claim, "duplicate", "Already posted from this payment.", bill_id)


def _post_claim(
    tx: Tx,
    header: RemittanceHeader,
    claim: ClaimPayment,
    key: str,
    import_id: str,
    group: repo.ClaimGroup,
    pending: repo.Pending,
    written: set[str],
) -> Outcome:
    """Refuse (``unmatched``/``unbalanced``) before writing anything, or post the claim and its key."""
    if claim.has_problems:
        return _outcome(claim, "unbalanced", "The claim could not be read: " + "; ".join(claim.problems[:3]))
    payer, trace = header.payer_id, header.trace_number
    item = group.items.get(claim.claim_ref)
    if item is None:
        return _outcome(claim, "unmatched", f"No billed session has claim_ref {claim.claim_ref!r}.")
    if item.client_id in written or item.client_id not in group.clients:
        # An earlier claim of this group moved the client's rows (or, on PostgreSQL, the item got this
        # claim_ref after the group locked its clients): read the item and its client again.
        pending.flush(tx)
        client = lock_client(tx, item.client_id)
        match = repo.claim_row(tx, claim_ref=claim.claim_ref, payer_id=payer, trace=trace, claim_key=key)
        if match is None or match[0].client_id != client.id:  # claim_ref moved meanwhile (PostgreSQL)
            return _outcome(claim, "unmatched", f"No billed session has claim_ref {claim.claim_ref!r}.")
        item, posted_bill_id = match
    else:
        client = group.clients[item.client_id]
        posted_bill_id = group.posted.get(key)
    if posted_bill_id is not None:
        return _outcome(claim, "duplicate", "Already posted from this payment.", posted_bill_id)
    era = EraSource(import_id=import_id, trace=trace)
    try:
        check_remittance_claim(
            charge=claim.charge,
            paid=claim.paid,
            adjustment_total=claim.adjustment_total,
            patient_responsibility=claim.patient_responsibility,
            pr_total=claim.pr_total,
            fee=item.fee,
            reversal=claim.is_reversal,
        )
        if claim.is_reversal:
            plan = plan_reversal(
                item=item,
                client=client,
                payer=payer,
                paid=claim.paid,
                patient_responsibility=claim.patient_responsibility,
                era=era,
            )
        else:
            plan = plan_decision(
                item=item,
                client=client,
                payer=payer,
                paid=claim.paid,
                patient_responsibility=claim.patient_responsibility,
                adjustments=[Adjustment(a.group, a.reason, a.amount) for a in claim.all_adjustments],
                era=era,
            )
    except ClaimUnbalanced as exc:
        return _outcome(claim, "unbalanced", exc.message, item.bill_id)
    except ClientLedgerError as exc:
        return _outcome(claim, "unmatched", exc.message, item.bill_id)
    written.add(item.client_id)
    posted = carry_out(tx, plan, pending=pending)
    repo.insert_era_claim(
        tx,
        import_id=import_id,
        payer_id=payer,
        trace=trace,
        claim_key=key,
        claim_ref=claim.claim_ref,
        bill_id=item.bill_id,
        insurance_payment_id=posted.insurance_payment_id,
        pending=pending,
    )
    return _outcome(claim, "posted", None, posted.bill_id, posted.credits)


def _outcome(
    claim: ClaimPayment,
    result: str,
    reason: str | None,
    bill_id: str | None = None,
    credits: list[CreatedLot] | None = None,
) -> Outcome:
    return Outcome(
        claim_ref=claim.claim_ref,
        status_code=claim.status_code,
        paid=claim.paid,
        result=result,
        reason=reason,
        bill_id=bill_id,
        credits=credits or [],
    )
