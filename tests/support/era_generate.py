"""Write synthetic X12 835 files for tests and the 10,000-claim import benchmark (test support, not product).

Real remittances carry protected health information, so tests and benchmarks need files made
up from scratch that a clearinghouse would still accept. Segments are written through pyx12's
``X12Writer``, the serializer that ships with the library ``era835`` parses with: it closes the
ST, GS and ISA loops itself, so SE01 (segment count), GE01 and IEA01 (counts) and the trailer
control numbers are always right. BPR02 is the sum of CLP04, as it must be when there is no PLB.

Money goes in as int cents and comes out as X12 decimals through ``era835.format_amount``, so a
generated file parses back to exactly the values it was made from.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Any

import pyx12.segment
import pyx12.x12file

from clientledger.insurance.era835 import Adjustment, format_amount

__all__ = [
    "GeneratedClaim",
    "GeneratedService",
    "generate_835",
    "synthetic_claims",
]

_SEG, _ELE, _SUB, _REP = "~", "*", ":", "^"
_DELIMITERS = frozenset(_SEG + _ELE + _SUB + _REP)
_PATIENTS = (
    ("RIVERA", "ANA"),
    ("CHEN", "MARCUS"),
    ("OKAFOR", "GRACE"),
    ("LINDQVIST", "ERIK"),
    ("PATEL", "PRIYA"),
    ("MORALES", "DIEGO"),
    ("NGUYEN", "LINH"),
)


@dataclass(frozen=True, slots=True)
class GeneratedService:
    """One SVC line to write. ``adjustments`` become line-level CAS segments."""

    procedure_code: str
    charge: int
    paid: int
    adjustments: Sequence[Adjustment] = ()
    date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class GeneratedClaim:
    """One CLP loop to write.

    ``patient_responsibility`` None writes CLP05 as the sum of PR adjustments (omitted when 0);
    ``payer_claim_control`` None invents one from the claim's position. ``adjustments`` are
    claim-level CAS; consecutive ones of the same group share a CAS segment, six to a segment,
    the way payers pack them.
    """

    claim_ref: str
    charge: int
    paid: int
    status_code: str = "1"
    patient_responsibility: int | None = None
    payer_claim_control: str | None = None
    adjustments: Sequence[Adjustment] = ()
    services: Sequence[GeneratedService] = ()
    patient: tuple[str, str] = ("RIVERA", "ANA")

    @property
    def pr_total(self) -> int:
        lines = [a for s in self.services for a in s.adjustments]
        return sum(a.amount for a in [*self.adjustments, *lines] if a.group == "PR")


def synthetic_claims(
    n_claims: int, *, start: int = 1, check_date: dt.date = dt.date(2026, 1, 15)
) -> Iterator[GeneratedClaim]:
    """A repeatable mix of therapy claims, every one balanced (charge = paid + adjustments).

    The cycle covers what an importer meets: a copay-sized PR with a zero CO-45, a PR larger than
    a typical copay, a denial, a full deductible, and a claim-level CAS using all six triples.
    """
    for offset in range(n_claims):
        number = start + offset
        kind = offset % 5
        served = check_date - dt.timedelta(days=7 + offset % 28)
        patient = _PATIENTS[offset % len(_PATIENTS)]
        ref = f"CLM-{number:06d}"
        if kind == 0:
            yield _one_line(ref, "90834", 15000, 13000, [("CO", "45", 0), ("PR", "2", 2000)], served, patient)
        elif kind == 1:
            yield _one_line(ref, "90837", 20000, 14500, [("CO", "45", 1000), ("PR", "3", 4500)], served, patient)
        elif kind == 2:
            yield GeneratedClaim(
                claim_ref=ref,
                charge=15000,
                paid=0,
                status_code="4",
                adjustments=(Adjustment("CO", "50", 15000),),
                services=(GeneratedService("90834", 15000, 0, (), served),),
                patient=patient,
            )
        elif kind == 3:
            yield _one_line(ref, "90837", 20000, 0, [("PR", "1", 20000)], served, patient)
        else:
            six = [("CO", "45", 500), ("CO", "253", 100), ("CO", "59", 100)]
            six += [("CO", "94", 100), ("CO", "97", 100), ("CO", "131", 100)]
            yield GeneratedClaim(
                claim_ref=ref,
                charge=15000,
                paid=12000,
                adjustments=tuple(Adjustment(g, r, a) for g, r, a in [*six, ("PR", "2", 2000)]),
                services=(GeneratedService("90834", 15000, 12000, (), served),),
                patient=patient,
            )


def _one_line(
    ref: str,
    code: str,
    charge: int,
    paid: int,
    adjustments: list[tuple[str, str, int]],
    served: dt.date,
    patient: tuple[str, str],
) -> GeneratedClaim:
    line = GeneratedService(code, charge, paid, tuple(Adjustment(g, r, a) for g, r, a in adjustments), served)
    return GeneratedClaim(claim_ref=ref, charge=charge, paid=paid, services=(line,), patient=patient)


def generate_835(
    claims: Iterable[GeneratedClaim] | None = None,
    *,
    n_claims: int = 10,
    payer: str = "BLUE RIVER HEALTH PLAN",
    payer_id: str = "BRHP1",
    trace: str = "EFT0000001",
    check_date: dt.date = dt.date(2026, 1, 15),
    payee: str = "CALM MIND THERAPY",
    payee_npi: str = "1234567893",
    interchange_control_number: int = 1,
) -> str:
    """A complete, valid 835 interchange (one ISA/GS/ST) paying ``claims``.

    Without ``claims``, ``n_claims`` claims from ``synthetic_claims`` are written. Raises
    ``ValueError`` for values X12 cannot carry: a delimiter inside a value, or a negative check
    total (a payer nets that against other claims or a PLB instead).
    """
    chosen = list(claims) if claims is not None else list(islice(synthetic_claims(n_claims), n_claims))
    total = sum(c.paid for c in chosen)
    if total < 0:
        raise ValueError(f"BPR02 would be negative ({format_amount(total)}); an 835 cannot pay a negative check")
    stamp = dt.datetime.combine(check_date, dt.time(10, 30))
    sender, receiver = "BLUERIVERHP", "CALMMIND01"
    isa13 = f"{interchange_control_number:09d}"
    group = str(interchange_control_number)

    out = io.StringIO()
    writer = pyx12.x12file.X12Writer(
        out, seg_term=_SEG, ele_term=_ELE, subele_term=_SUB, eol="\n", repetition_term=_REP
    )

    def write(*elements: str) -> None:
        # ISA carries the delimiters themselves and SVC01 is a composite built below.
        if elements[0] not in ("ISA", "SVC"):
            for value in elements[1:]:
                if _DELIMITERS.intersection(value):
                    raise ValueError(f"{elements[0]} value {value!r} contains an X12 delimiter")
        writer.Write(pyx12.segment.Segment(_ELE.join(elements).rstrip(_ELE), _SEG, _ELE, _SUB))

    write(
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
        stamp.strftime("%y%m%d"), stamp.strftime("%H%M"), _REP, "00501", isa13, "0", "P", _SUB,
    )  # fmt: skip
    write("GS", "HP", sender, receiver, stamp.strftime("%Y%m%d"), stamp.strftime("%H%M"), group, "X", "005010X221A1")
    write("ST", "835", "0001")
    if total > 0:
        write("BPR", "I", format_amount(total), "C", "CHK", *[""] * 11, check_date.strftime("%Y%m%d"))
    else:
        write("BPR", "H", "0", "C", "NON", *[""] * 11, check_date.strftime("%Y%m%d"))
    write("TRN", "1", trace, "1362547890")
    write("DTM", "405", check_date.strftime("%Y%m%d"))
    write("N1", "PR", payer)
    write("N3", "100 MAIN ST")
    write("N4", "SPRINGFIELD", "IL", "62701")
    write("REF", "2U", payer_id)
    write("PER", "BL", "EDI SUPPORT", "TE", "8005551212")
    write("N1", "PE", payee, "XX", payee_npi)
    write("LX", "1")
    for index, claim in enumerate(chosen, start=1):
        _write_claim(write, claim, index)
    writer.close()  # writes SE, GE and IEA with the counts of what was written
    errors = writer.pop_errors()
    if errors:
        raise ValueError(f"pyx12 rejected the generated 835: {errors}")
    return out.getvalue()


def _write_claim(write: Any, claim: GeneratedClaim, index: int) -> None:
    responsibility = claim.patient_responsibility
    if responsibility is None:
        responsibility = claim.pr_total
    write(
        "CLP",
        claim.claim_ref,
        claim.status_code,
        format_amount(claim.charge),
        format_amount(claim.paid),
        format_amount(responsibility) if responsibility else "",
        "12",
        claim.payer_claim_control or f"PCN{index:010d}",
    )
    _write_cas(write, claim.adjustments)
    last, first = claim.patient
    write("NM1", "QC", "1", last, first, "", "", "", "MI", f"MBR{index:07d}")
    for service in claim.services:
        if _DELIMITERS.intersection(service.procedure_code):
            raise ValueError(f"procedure code {service.procedure_code!r} contains an X12 delimiter")
        write(
            "SVC",
            f"HC{_SUB}{service.procedure_code}",
            format_amount(service.charge),
            format_amount(service.paid),
            "",
            "1",
        )
        if service.date is not None:
            write("DTM", "472", service.date.strftime("%Y%m%d"))
        _write_cas(write, service.adjustments)


def _write_cas(write: Any, adjustments: Sequence[Adjustment]) -> None:
    """Consecutive adjustments of one group share a CAS segment, at most six triples each."""
    for group, run in groupby(adjustments, key=lambda a: a.group):
        items = list(run)
        for chunk_start in range(0, len(items), 6):
            elements = ["CAS", group]
            for adjustment in items[chunk_start : chunk_start + 6]:
                quantity = "" if adjustment.quantity is None else str(adjustment.quantity)
                elements += [adjustment.reason, format_amount(adjustment.amount), quantity]
            write(*elements)
