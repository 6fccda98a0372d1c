"""Read X12 835 remittance advice (ERA) files into plain, typed values with money in cents.

Why pyx12 does the parsing
--------------------------
An 835 is a loop hierarchy (header, payer 1000A, payee 1000B, claim 2100, service line 2110,
PLB footer) whose boundaries are implied by segment order, not marked. Getting that right by hand
is exactly how importers lose claims, so the structure comes from ``pyx12``: it walks every segment
against the 005010X221A1 implementation-guide map, hands us one claim loop (2100 with its 2110
service lines) at a time through ``X12ContextReader.iter_segments("2100")``, and reports what it
finds wrong through an error-handler object instead of raising. That last part is what lets one bad
claim be quarantined while the rest of the check posts. (``x12sdk`` was evaluated too; it rejects
a whole file for a zero-dollar ``CAS*CO*45*0`` or one unbalanced claim, and builds the whole
transaction in memory.)

What this module adds on top is the ledger's view: frozen dataclasses, every amount converted
exactly (``Decimal`` -> int cents, never float; more than two decimal places is refused), and a
decision per problem: does it make the *file* unusable, or only one *claim*?

File versus claim problems
--------------------------
``InvalidRemittance`` (HTTP 422, nothing posts) when the file cannot be trusted as a whole: not X12,
not an 835, more than one payment (ST) in it, truncated or damaged envelope (ISA/GS/ST/SE/GE/IEA
counts and control numbers), the header lacks what every claim needs (BPR payment amount and date,
TRN trace number, N1*PR payer), or a segment outside any claim is unrecognised or out of place
(data that would otherwise be silently dropped). Less serious findings outside claims (a missing
payer contact, an unknown state code) become ``warnings``.

A problem inside one claim loop (an amount that is not a number or has three decimals, an unknown
status code, a CAS reason without an amount, an unexpected segment, a missing mandatory segment)
does not reject the file. The claim is still returned with every value that could be read
(unreadable amounts are 0) and the findings in ``ClaimPayment.problems``; the importer quarantines
claims whose ``problems`` is not empty. pyx12 reports a missing segment where it notices the gap,
so such a finding lands on the claim being read at that point.

Streaming
---------
``open_835`` reads the header, then yields claims one at a time, so a 10,000-claim file never holds
more than one claim loop in memory. Envelope damage at the end of a file (a wrong SE count, a missing
IEA) is only known after the last claim: ``claims()`` raises ``InvalidRemittance`` then, so an
importer that streams must post inside one database transaction and roll it back on that error.
``parse_835`` reads everything first and raises before returning anything.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Literal, cast

import pyx12.params
import pyx12.x12context

from clientledger.errors import ValidationFailed

__all__ = [
    "Adjustment",
    "ClaimPayment",
    "InvalidRemittance",
    "ProviderAdjustment",
    "Remittance",
    "RemittanceHeader",
    "RemittanceReader",
    "ServicePayment",
    "Source",
    "format_amount",
    "iter_claims",
    "open_835",
    "parse_835",
]

#: What an 835 can be read from. ``str`` and ``bytes`` are the file's *contents*; a path must be a
#: ``pathlib.Path`` (or other ``os.PathLike``) so that a file's text is never mistaken for a name.
Source = str | bytes | os.PathLike[str] | IO[str] | IO[bytes]

#: CAS01 groups: contractual, patient responsibility, other, payer-initiated, correction/reversal
#: (CR exists only in 4010; the 5010 map reports it as a claim problem).
ADJUSTMENT_GROUPS: Final = frozenset({"CO", "PR", "OA", "PI", "CR"})

_AMOUNT = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{8}$")
_NO_MAP = re.compile(r"Map not found\.\s+icvn=\S*, fic=(\S*), vriic=(\S*)")
_REFERENCE = re.compile(r"(\d{2})(?:-(\d{1,2}))?$")

# GS01 functional identifier -> what a billing person would call the file.
_GS01_NAMES: Final = {
    "HC": "an 837 health care claim",
    "HS": "a 270 eligibility inquiry",
    "HB": "a 271 eligibility response",
    "HR": "a 276 claim status inquiry",
    "HN": "a 277 claim status response",
    "BE": "an 834 benefit enrollment",
    "FA": "a 997/999 acknowledgment",
}
_ST01_NAMES: Final = {
    "837": "an 837 health care claim",
    "270": "a 270 eligibility inquiry",
    "271": "a 271 eligibility response",
    "276": "a 276 claim status inquiry",
    "277": "a 277 claim status response",
    "834": "an 834 benefit enrollment",
    "997": "a 997 acknowledgment",
    "999": "a 999 acknowledgment",
}
_SUPPORTED_VERSIONS: Final = ("005010X221", "004010X091")

# pyx12 segment error codes (X12 IK3) that mean data sits where the map cannot place it. Outside a
# claim that data would be lost, so the file is refused; other codes outside a claim are warnings.
_MISPLACED_SEGMENT_CODES: Final = frozenset({"1", "2", "6", "7"})
# Reader error codes for a trailer (IEA, GE, SE) that never arrived: the file was cut off.
_TRUNCATION_CODES: Final = frozenset({("isa", "023"), ("gs", "3"), ("st", "2")})

_RESEND = "Download the 835 again from your clearinghouse or payer portal, or ask them to resend it."


class InvalidRemittance(ValidationFailed):
    """The uploaded file cannot be imported as an 835; ``message`` says what to do about it."""


# ---------------------------------------------------------------------------------------------
# The values handed to the ledger
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS reason/amount(/quantity) triple: why the payer did not pay part of the charge.

    ``amount`` is cents and may be negative (a reversal undoes an earlier adjustment).
    """

    group: str
    reason: str
    amount: int
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """One 2110 service line: a session code, what was charged and paid for it, and why not more."""

    procedure_code: str
    charge: int
    paid: int
    adjustments: list[Adjustment] = field(default_factory=list)
    date: dt.date | None = None

    @property
    def balances(self) -> bool:
        """SVC02 == SVC03 + the line's CAS amounts, as the 835 balancing rules require."""
        return self.charge == self.paid + sum(a.amount for a in self.adjustments)


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """One 2100 claim loop. ``claim_ref`` (CLP01) is the patient control number we sent as CLM01.

    ``problems`` lists what was wrong with this claim (empty when nothing was); unreadable amounts
    are 0 there, so a claim with problems must be quarantined, never posted.
    ``segment_number`` is the CLP segment's position in the file (ISA is 1), for finding it.
    """

    claim_ref: str
    status_code: str
    charge: int
    paid: int
    patient_responsibility: int
    payer_claim_control: str | None
    adjustments: list[Adjustment] = field(default_factory=list)
    services: list[ServicePayment] = field(default_factory=list)
    problems: tuple[str, ...] = ()
    segment_number: int = 0

    @property
    def all_adjustments(self) -> list[Adjustment]:
        """Claim-level CAS first, then each service line's, in file order."""
        result = list(self.adjustments)
        for service in self.services:
            result.extend(service.adjustments)
        return result

    @property
    def adjustment_total(self) -> int:
        """Sum of every CAS amount on the claim and its service lines."""
        return sum(a.amount for a in self.all_adjustments)

    @property
    def pr_total(self) -> int:
        """What the payer says the patient owes: PR adjustments at claim *and* service level.

        Payers put the copay/coinsurance/deductible on the service line as often as on the claim,
        so reading only one level under-states what the client owes.
        """
        return sum(a.amount for a in self.all_adjustments if a.group == "PR")

    @property
    def is_reversal(self) -> bool:
        """CLP02 22: this claim undoes the payer's earlier payment for the same claim_ref."""
        return self.status_code == "22"

    @property
    def balances(self) -> bool:
        """CLP03 == CLP04 + every CAS amount (claim and line level), as X12 requires.

        A claim that does not balance means the payer's numbers contradict each other; the
        importer reports it as ``unbalanced`` instead of guessing which number is wrong.
        """
        return self.charge == self.paid + self.adjustment_total

    @property
    def has_problems(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB reason/amount pair: money moved outside any claim (a recoupment, interest).

    A positive amount reduces the check; ``reference`` is PLB03-2 (often the claim it recovers).
    """

    reason: str
    reference: str
    amount: int


@dataclass(frozen=True, slots=True)
class RemittanceHeader:
    """What the file says about the payment as a whole, known before the first claim.

    ``payer_id`` is the payer's REF*2U, else its N1*PR N104 (qualifier XV), else TRN03.
    ``trace_originator`` (TRN03) and ``trace_number`` (TRN02) together identify the payment, which is
    how a re-uploaded file is recognised as a duplicate.
    """

    payer_name: str
    payer_id: str
    trace_number: str
    payment_total: int
    check_date: dt.date
    trace_originator: str


@dataclass(frozen=True, slots=True)
class Remittance:
    """A whole 835 payment: header, every claim, the PLB adjustments and non-fatal warnings."""

    payer_name: str
    payer_id: str
    trace_number: str
    payment_total: int
    check_date: dt.date
    claims: list[ClaimPayment]
    trace_originator: str = ""
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    warnings: tuple[str, ...] = ()

    @property
    def header(self) -> RemittanceHeader:
        return RemittanceHeader(
            payer_name=self.payer_name,
            payer_id=self.payer_id,
            trace_number=self.trace_number,
            payment_total=self.payment_total,
            check_date=self.check_date,
            trace_originator=self.trace_originator,
        )

    @property
    def claims_paid_total(self) -> int:
        return sum(c.paid for c in self.claims)

    @property
    def provider_adjustment_total(self) -> int:
        return sum(p.amount for p in self.provider_adjustments)

    @property
    def balances(self) -> bool:
        """BPR02 == sum of CLP04 - sum of PLB amounts: the check matches its claims."""
        return self.payment_total == self.claims_paid_total - self.provider_adjustment_total


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


def parse_835(data: bytes | str) -> Remittance:
    """Parse a whole 835 held in memory; raises ``InvalidRemittance`` before returning anything."""
    with RemittanceReader(data) as reader:
        claims = list(reader.claims())
        header = reader.header
        return Remittance(
            payer_name=header.payer_name,
            payer_id=header.payer_id,
            trace_number=header.trace_number,
            payment_total=header.payment_total,
            check_date=header.check_date,
            claims=claims,
            trace_originator=header.trace_originator,
            provider_adjustments=list(reader.provider_adjustments),
            warnings=tuple(reader.warnings),
        )


def open_835(source: Source) -> RemittanceReader:
    """Start streaming an 835: the header is read (and checked) now, claims as they are iterated."""
    return RemittanceReader(source)


def iter_claims(source: Source) -> Iterator[ClaimPayment]:
    """Yield the claims of an 835 one at a time (see the module docstring on late envelope errors)."""
    with RemittanceReader(source) as reader:
        yield from reader.claims()


def format_amount(cents: int) -> str:
    """Cents as an X12 decimal string (``-2000`` -> ``-20.00``, ``0`` -> ``0``)."""
    if cents == 0:
        return "0"
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------


def _to_cents(raw: str) -> int:
    """Exact X12 decimal -> cents. ``ValueError`` (with a reason) for anything not exact to a cent.

    Trailing zeros past the cent (``150.000``) are exact and accepted; ``130.005`` is not.
    """
    text = raw.strip()
    if not _AMOUNT.match(text):
        raise ValueError("is not an amount")
    try:
        scaled = Decimal(text) * 100
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError("is not an amount") from exc
    if scaled != scaled.to_integral_value():
        raise ValueError("has more than 2 decimal places")
    return int(scaled)


def _to_date(raw: str) -> dt.date:
    if not _DATE.match(raw):
        raise ValueError("is not a CCYYMMDD date")
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date()
    except ValueError as exc:
        raise ValueError("is not a real date") from exc


@functools.lru_cache(maxsize=256)
def _position(ref: str) -> tuple[int, int | None]:
    """``"SVC01-2"`` -> ``(0, 1)``: zero-based element and sub-element index of a reference."""
    match = _REFERENCE.search(ref)
    if match is None:
        raise ValueError(f"not an X12 element reference: {ref!r}")
    element, sub = match.groups()
    return int(element) - 1, (int(sub) - 1 if sub else None)


def _element(seg: Any, ref: str) -> str:
    """An element's text by X12 reference (``CLP04``, ``SVC01-2``), '' when absent.

    Reads pyx12's parsed ``Segment.elements`` by position rather than through ``get_value``, which
    re-parses the reference as an X12 path on every call and dominated the per-claim cost.
    """
    index, sub = _position(ref)
    elements = seg.elements
    if index >= len(elements):
        return ""
    composite = elements[index]
    if sub is None:
        return str(composite.format()).strip()
    if sub >= len(composite):
        return ""
    return str(composite[sub].get_value()).strip()


class _Problems:
    """Collects findings for one claim, each saying where it is and what is wrong."""

    def __init__(self, initial: list[str]) -> None:
        self.items = initial

    def money(self, seg: Any, line: int, ref: str, label: str, *, required: bool) -> int:
        raw = _element(seg, ref)
        if not raw:
            if required:
                self.items.append(f"segment {line} {ref} ({label}) is missing")
            return 0
        try:
            return _to_cents(raw)
        except ValueError as exc:
            self.items.append(f"segment {line} {ref} ({label}) '{raw}' {exc}")
            return 0


def _adjustments(seg: Any, line: int, problems: _Problems) -> list[Adjustment]:
    """All six reason/amount/quantity triples of one CAS segment (CAS02-04 ... CAS17-19)."""
    group = _element(seg, "CAS01")
    if group not in ADJUSTMENT_GROUPS:
        problems.items.append(f"segment {line} CAS01 adjustment group '{group}' is not CO, PR, OA, PI or CR")
    result: list[Adjustment] = []
    for i in range(6):
        reason_ref, amount_ref, quantity_ref = (f"CAS{2 + 3 * i:02d}", f"CAS{3 + 3 * i:02d}", f"CAS{4 + 3 * i:02d}")
        reason = _element(seg, reason_ref)
        raw_amount = _element(seg, amount_ref)
        raw_quantity = _element(seg, quantity_ref)
        if not (reason or raw_amount or raw_quantity):
            continue
        if not reason:
            problems.items.append(f"segment {line} {amount_ref} amount '{raw_amount}' has no reason code")
        amount = problems.money(seg, line, amount_ref, f"adjustment {group}-{reason}", required=True)
        quantity: Decimal | None = None
        if raw_quantity:
            try:
                quantity = Decimal(raw_quantity)
            except InvalidOperation:
                problems.items.append(f"segment {line} {quantity_ref} quantity '{raw_quantity}' is not a number")
        result.append(Adjustment(group=group, reason=reason, amount=amount, quantity=quantity))
    return result


def _service(loop: Any, problems: _Problems) -> ServicePayment:
    """One 2110 loop. The session date is DTM*472, else the service period start DTM*150."""
    procedure, charge, paid = "", 0, 0
    adjustments: list[Adjustment] = []
    dates: dict[str, dt.date] = {}
    for child in loop.children:
        if child.type != "seg":
            continue
        seg, line = child.seg_data, int(child.cur_line_number or 0)
        seg_id = seg.get_seg_id()
        if seg_id == "SVC":
            procedure = _element(seg, "SVC01-2")
            if not procedure:
                problems.items.append(f"segment {line} SVC01 has no procedure code")
            charge = problems.money(seg, line, "SVC02", "line charge", required=True)
            paid = problems.money(seg, line, "SVC03", "line paid amount", required=True)
        elif seg_id == "CAS":
            adjustments.extend(_adjustments(seg, line, problems))
        elif seg_id == "DTM":
            qualifier, raw = _element(seg, "DTM01"), _element(seg, "DTM02")
            try:
                dates[qualifier] = _to_date(raw)
            except ValueError as exc:
                problems.items.append(f"segment {line} DTM02 service date '{raw}' {exc}")
    return ServicePayment(
        procedure_code=procedure,
        charge=charge,
        paid=paid,
        adjustments=adjustments,
        date=dates.get("472") or dates.get("150"),
    )


def _claim(tree: Any, findings: list[str]) -> ClaimPayment:
    """One 2100 loop tree from pyx12 -> ClaimPayment, adding our own findings to pyx12's."""
    problems = _Problems(findings)
    claim_ref = status = ""
    payer_control: str | None = None
    charge = paid = responsibility = 0
    clp_line = 0
    adjustments: list[Adjustment] = []
    services: list[ServicePayment] = []
    for child in tree.children:
        if child.type == "loop":
            if child.id == "2110":
                services.append(_service(child, problems))
            continue
        seg, line = child.seg_data, int(child.cur_line_number or 0)
        seg_id = seg.get_seg_id()
        if seg_id == "CLP" and not clp_line:
            clp_line = line
            claim_ref = _element(seg, "CLP01")
            status = _element(seg, "CLP02")
            if not claim_ref:
                problems.items.append(f"segment {line} CLP01 (claim reference) is missing")
            if not status:
                problems.items.append(f"segment {line} CLP02 (claim status) is missing")
            charge = problems.money(seg, line, "CLP03", "total charge", required=True)
            paid = problems.money(seg, line, "CLP04", "paid amount", required=True)
            responsibility = problems.money(seg, line, "CLP05", "patient responsibility", required=False)
            payer_control = _element(seg, "CLP07") or None
        elif seg_id == "CAS":
            adjustments.extend(_adjustments(seg, line, problems))
    return ClaimPayment(
        claim_ref=claim_ref,
        status_code=status,
        charge=charge,
        paid=paid,
        patient_responsibility=responsibility,
        payer_claim_control=payer_control,
        adjustments=adjustments,
        services=services,
        problems=tuple(problems.items),
        segment_number=clp_line,
    )


def _line_span(tree: Any) -> tuple[int, int]:
    lines = [int(s["cur_line_number"] or 0) for s in tree.iterate_segments()]
    return (min(lines), max(lines)) if lines else (0, 0)


# ---------------------------------------------------------------------------------------------
# pyx12 plumbing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Issue:
    kind: str  # "isa", "gs", "st" (envelope) or "seg", "ele"
    line: int
    segment: str
    code: str
    message: str

    def describe(self) -> str:
        return f"segment {self.line} {self.segment}: {self.message}" if self.segment else self.message


class _IssueLog:
    """A pyx12 error handler (the ``errh_null`` interface) that remembers each error's segment.

    pyx12 calls ``add_seg`` before validating each segment, then ``seg_error``/``ele_error`` for
    what it finds, so every finding can be tied to a segment number and from there to the claim
    loop that contains it. Envelope errors (``isa/gs/st``) are kept apart: they are always fatal.
    """

    def __init__(self) -> None:
        self.issues: list[_Issue] = []
        self.envelope: list[_Issue] = []
        self._line = 0
        self._segment = ""

    # cursor -------------------------------------------------------------------------------
    def add_seg(self, map_node: Any, seg: Any, seg_count: int, cur_line: int, ls_id: str | None) -> None:
        self._line = int(cur_line or 0)
        self._segment = str(seg.get_seg_id() or "") if seg is not None else ""

    def _at_envelope(self, seg: Any, src: Any) -> None:
        self._line = int(src.get_cur_line())
        self._segment = str(seg.get_seg_id() or "")

    def add_isa_loop(self, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def add_gs_loop(self, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def add_st_loop(self, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def close_isa_loop(self, node: Any, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def close_gs_loop(self, node: Any, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def close_st_loop(self, node: Any, seg: Any, src: Any) -> None:
        self._at_envelope(seg, src)

    def add_ele(self, map_node: Any) -> None:
        return None

    # findings -----------------------------------------------------------------------------
    def _envelope_error(self, kind: str, code: str, message: str) -> None:
        self.envelope.append(_Issue(kind, self._line, "", str(code), str(message)))

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self._envelope_error("isa", err_cde, err_str)

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self._envelope_error("gs", err_cde, err_str)

    def st_error(self, err_cde: str, err_str: str) -> None:
        self._envelope_error("st", err_cde, err_str)

    def seg_error(self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None) -> None:
        line = int(src_line) if src_line else self._line
        self.issues.append(_Issue("seg", line, self._segment, str(err_cde), str(err_str)))

    def ele_error(self, err_cde: str, err_str: str, bad_value: str | None, refdes: str | None = None) -> None:
        self.issues.append(_Issue("ele", self._line, self._segment, str(err_cde), str(err_str)))

    def handle_errors(self, err_list: list[tuple[str, str, str, Any, int | None]]) -> None:
        for err_type, err_cde, err_str, err_val, src_line in err_list:
            if err_type in ("isa", "gs", "st"):
                self._envelope_error(err_type, err_cde, err_str)
            else:
                self.seg_error(err_cde, err_str, err_val, src_line)

    # bookkeeping --------------------------------------------------------------------------
    def take(self, first: int, last: int) -> list[_Issue]:
        """Remove and return the findings on segments ``first..last`` (one claim loop)."""
        taken = [i for i in self.issues if first <= i.line <= last]
        if taken:
            self.issues = [i for i in self.issues if not first <= i.line <= last]
        return taken

    def take_before(self, line: int | None) -> list[_Issue]:
        """Remove and return findings before ``line`` (all of them when ``line`` is None)."""
        taken = [i for i in self.issues if line is None or i.line < line]
        if taken:
            self.issues = [i for i in self.issues if line is not None and i.line >= line]
        return taken


def _params() -> Any:
    """pyx12 settings built in code, not read from ~/.pyx12.conf.xml, so every host parses alike.

    Remark codes (RARC) change quarterly; an unknown one must not quarantine a claim.
    """
    params = pyx12.params.ParamsBase()
    params.set("exclude_external_codes", "remark_code")
    return params


def _open_text(source: Source) -> tuple[IO[str], Callable[[], None]]:
    """A text stream over ``source`` and how to let go of it when done.

    Bytes are UTF-8 when they decode as such, else Latin-1 (X12 is byte-oriented and some payers
    send Windows-1252 names); a byte-order mark and blank lines before ISA are dropped, and line
    endings are normalised so a CR-LF file reads like any other.
    """
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = source.decode("latin-1")
        stream: IO[str] = io.StringIO(_normalise(text))
        return stream, stream.close
    if isinstance(source, str):
        stream = io.StringIO(_normalise(source))
        return stream, stream.close
    if isinstance(source, os.PathLike):
        stream = open(Path(source), encoding="utf-8-sig", errors="replace")  # noqa: SIM115
        return stream, stream.close
    if isinstance(source, io.TextIOBase):
        return source, _leave_open
    # A binary stream the caller owns (an upload's spooled file): decode it, and on close detach
    # the wrapper so the caller's stream stays open.
    wrapper = io.TextIOWrapper(cast(IO[bytes], source), encoding="utf-8-sig", errors="replace")
    return wrapper, _detacher(wrapper)


def _leave_open() -> None:
    return None


def _detacher(wrapper: io.TextIOWrapper[Any]) -> Callable[[], None]:
    def detach() -> None:
        if not wrapper.closed:
            wrapper.detach()

    return detach


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff \t\r\n").replace("\r\n", "\n").replace("\r", "\n")


def _classify_outside(issues: list[_Issue]) -> tuple[list[_Issue], list[_Issue]]:
    """(fatal, warnings) for findings outside every claim loop."""
    fatal = [i for i in issues if i.kind == "seg" and i.code in _MISPLACED_SEGMENT_CODES]
    return fatal, [i for i in issues if i not in fatal]


def _summary(issues: list[_Issue], limit: int = 3) -> str:
    text = "; ".join(i.describe() for i in issues[:limit])
    if len(issues) > limit:
        text += f"; and {len(issues) - limit} more"
    return text


class RemittanceReader:
    """Streams one 835: ``header`` is ready on construction, ``claims()`` yields claim by claim.

    ``provider_adjustments`` (PLB, which follows the claims) and ``warnings`` are complete once
    ``claims()`` is exhausted. Use as a context manager so a file opened from a path is closed.
    """

    def __init__(self, source: Source) -> None:
        if isinstance(source, bytes | str) and not source.strip():
            raise InvalidRemittance(f"The uploaded file is empty. {_RESEND}")
        self._stream, self._release = _open_text(source)
        self._closed = False
        self._log = _IssueLog()
        self._pending: Any = None
        self._finished = False
        self._exhausted = False
        self._claims_started = False
        self._transactions = 0
        self._bpr: tuple[int, dt.date] | None = None
        self._trn: tuple[str, str] | None = None
        self._payer_name: str | None = None
        self._payer_n1_id = ""
        self._payer_ref_id = ""
        self.provider_adjustments: list[ProviderAdjustment] = []
        self.warnings: list[str] = []
        try:
            try:
                context = pyx12.x12context.X12ContextReader(_params(), self._log, self._stream)
            except Exception as exc:
                raise InvalidRemittance(_not_x12_message(self._stream, exc)) from exc
            self._context = context
            self._nodes: Iterator[Any] = context.iter_segments("2100")
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    # lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the input (closing it only if this reader opened it). Idempotent."""
        if not self._closed:
            self._closed = True
            self._release()

    def __enter__(self) -> RemittanceReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        self.close()
        return False

    # reading --------------------------------------------------------------------------------
    def claims(self) -> Iterator[ClaimPayment]:
        """Yield each claim in file order; raise ``InvalidRemittance`` when the file breaks."""
        if self._claims_started:
            raise RuntimeError("claims() of an 835 can be read only once; open the file again")
        self._claims_started = True
        while True:
            node = self._next_node()
            if node is None:
                break
            if _is_claim(node):
                first, last = _line_span(node)
                self._check_outside(before=first)
                findings = [i.describe() for i in self._log.take(first, last)]
                yield _claim(node, findings)
            else:
                self._segment(node)
        self._finish()

    def _next_node(self) -> Any:
        if self._pending is not None:
            node, self._pending = self._pending, None
            return node
        if self._exhausted:
            return None
        try:
            return next(self._nodes)
        except StopIteration:
            self._exhausted = True
            return None
        except Exception as exc:
            # pyx12 raises on some malformed input (e.g. an IEA with no ISA) and when it has no
            # map for the GS version; any failure inside the parser means the file cannot be
            # read, which is the user's 422, not our 500.
            no_map = _NO_MAP.search(str(exc))
            if no_map is not None:
                raise InvalidRemittance(_unsupported_message(*no_map.groups())) from exc
            raise InvalidRemittance(
                f"The file could not be read as an X12 835 ({type(exc).__name__}: {exc}). {_RESEND}"
            ) from exc

    def _read_header(self) -> RemittanceHeader:
        """Consume segments up to the first claim loop (kept for ``claims()``) and check them."""
        while True:
            node = self._next_node()
            if node is None:
                break
            if _is_claim(node):
                self._pending = node
                break
            self._segment(node)
        if self._pending is None:
            self._finish()
            return self._header()
        # A missing BPR/TRN/N1*PR is named before pyx12's knock-on "segment not found" errors,
        # which would only describe the symptom.
        header = self._header()
        self._check_outside(before=_line_span(self._pending)[0])
        return header

    def _header(self) -> RemittanceHeader:
        if self._transactions == 0:
            raise InvalidRemittance(f"The file has no ST*835 transaction in it. {_RESEND}")
        if self._bpr is None:
            raise InvalidRemittance(
                "The file has no BPR segment (the payment amount and date), so it is not a complete "
                f"835 remittance. {_RESEND}"
            )
        if self._trn is None:
            raise InvalidRemittance(f"The file has no TRN segment (the check or EFT trace number). {_RESEND}")
        if self._payer_name is None:
            raise InvalidRemittance(f"The file does not name the payer (no N1*PR segment). {_RESEND}")
        trace_number, originator = self._trn
        payment_total, check_date = self._bpr
        return RemittanceHeader(
            payer_name=self._payer_name,
            payer_id=self._payer_ref_id or self._payer_n1_id or originator,
            trace_number=trace_number,
            payment_total=payment_total,
            check_date=check_date,
            trace_originator=originator,
        )

    def _segment(self, node: Any) -> None:
        """A segment outside any claim loop: envelope, header, payer, PLB footer."""
        seg = node.seg_data
        line = int(node.cur_line_number or 0)
        seg_id = seg.get_seg_id()
        path = str(node.cur_path or "")
        if seg_id == "GS":
            code = _element(seg, "GS01")
            version = _element(seg, "GS08")
            if code != "HP" or not version.startswith(_SUPPORTED_VERSIONS):
                raise InvalidRemittance(_unsupported_message(code, version))
        elif seg_id == "ST":
            self._transactions += 1
            kind = _element(seg, "ST01")
            if kind != "835":
                what = _ST01_NAMES.get(kind, f"an X12 {kind or '(blank)'} transaction")
                raise InvalidRemittance(f"This file contains {what}, not an 835 remittance (ERA).")
            if self._transactions > 1:
                raise InvalidRemittance(
                    "This file holds more than one payment (several ST*835 transactions, segment "
                    f"{line}). Import one payment per file: ask your clearinghouse to split it."
                )
        elif seg_id == "BPR":
            self._bpr = (self._header_money(seg, line, "BPR02", "payment total"), self._bpr_date(seg, line))
        elif seg_id == "TRN":
            trace = _element(seg, "TRN02")
            if not trace:
                raise InvalidRemittance(f"Segment {line} (TRN) has no trace number (TRN02). {_RESEND}")
            self._trn = (trace, _element(seg, "TRN03"))
        elif seg_id == "N1" and _element(seg, "N101") == "PR":
            self._payer_name = _element(seg, "N102")
            if _element(seg, "N103") == "XV":
                self._payer_n1_id = _element(seg, "N104")
        elif seg_id == "REF" and "/1000A/" in path and _element(seg, "REF01") == "2U":
            self._payer_ref_id = _element(seg, "REF02")
        elif seg_id == "PLB":
            self.provider_adjustments.extend(self._plb(seg, line))

    def _header_money(self, seg: Any, line: int, ref: str, label: str) -> int:
        raw = _element(seg, ref)
        try:
            return _to_cents(raw)
        except ValueError as exc:
            raise InvalidRemittance(f"Segment {line} {ref} ({label}) '{raw}' {exc}. {_RESEND}") from exc

    def _bpr_date(self, seg: Any, line: int) -> dt.date:
        raw = _element(seg, "BPR16")
        try:
            return _to_date(raw)
        except ValueError as exc:
            raise InvalidRemittance(f"Segment {line} BPR16 (check or EFT date) '{raw}' {exc}. {_RESEND}") from exc

    def _plb(self, seg: Any, line: int) -> list[ProviderAdjustment]:
        """PLB03/04 ... PLB13/14: up to six reason:reference/amount pairs."""
        result: list[ProviderAdjustment] = []
        for i in range(6):
            ref_composite, ref_amount = f"PLB{3 + 2 * i:02d}", f"PLB{4 + 2 * i:02d}"
            reason = _element(seg, f"{ref_composite}-1")
            if not reason:
                continue
            result.append(
                ProviderAdjustment(
                    reason=reason,
                    reference=_element(seg, f"{ref_composite}-2"),
                    amount=self._header_money(seg, line, ref_amount, f"provider adjustment {reason}"),
                )
            )
        return result

    def _check_outside(self, before: int | None) -> None:
        """Judge the findings outside claim loops seen so far: refuse the file or keep as warnings."""
        if self._log.envelope:
            raise InvalidRemittance(_envelope_message(self._log.envelope))
        fatal, warnings = _classify_outside(self._log.take_before(before))
        self.warnings.extend(w.describe() for w in warnings)
        if fatal:
            raise InvalidRemittance(
                "The file's structure is broken outside any claim, so claims could be lost: "
                f"{_summary(fatal)}. {_RESEND}"
            )

    def _finish(self) -> None:
        """End of input: trailers present and counted right, one complete ST*835."""
        if self._finished:
            return
        self._finished = True
        source = self._context.src
        source.cleanup()
        self._log.handle_errors(source.pop_errors())
        self._check_outside(before=None)
        self._header()


def _is_claim(node: Any) -> bool:
    return bool(node.type == "loop" and node.id == "2100")


def _unsupported_message(code: str, version: str) -> str:
    """GS01/GS08 name a transaction or version other than an 835 we can read."""
    if code != "HP":
        what = _GS01_NAMES.get(code, f"an X12 file of type {code or '(blank)'}")
        return (
            f"This is {what} file, not an 835 remittance (ERA). Upload the 835/ERA file from your "
            "clearinghouse or payer portal."
        )
    return (
        f"This 835 uses X12 version {version or '(blank)'}; only 005010X221A1 (and the older "
        "004010X091A1) can be imported. Ask your clearinghouse for a 5010 835."
    )


def _envelope_message(issues: list[_Issue]) -> str:
    if any((i.kind, i.code) in _TRUNCATION_CODES for i in issues):
        missing = [i for i in issues if (i.kind, i.code) in _TRUNCATION_CODES]
        return f"The file is incomplete ({_summary(missing)}); it was probably cut off. {_RESEND}"
    return f"The file's envelope is damaged ({_summary(issues)}). {_RESEND}"


def _not_x12_message(stream: IO[str], exc: Exception) -> str:
    start = ""
    try:
        stream.seek(0)
        start = stream.read(20)
    except (OSError, ValueError):
        start = ""
    if not start.strip():
        return f"The uploaded file is empty. {_RESEND}"
    if not start.startswith("ISA"):
        shown = "".join(ch if ch.isprintable() else "?" for ch in start[:12])
        return (
            "This file is not an X12 835 remittance (ERA): an 835 starts with 'ISA', this one starts "
            f"with '{shown}'. Upload the 835/ERA file from your clearinghouse or payer portal, not a "
            "PDF, spreadsheet or printed remittance."
        )
    reason = str(exc).split(":", 1)[0].strip() or type(exc).__name__
    return (
        "The file's ISA header is damaged: X12 requires it to be exactly 106 characters with "
        f"space-padded fields, and this one is not ({reason}). {_RESEND}"
    )
