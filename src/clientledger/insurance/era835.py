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
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal

import pyx12.params
import pyx12.x12context

from clientledger.insurance.era_claims import build_claim, element, line_span, to_cents, to_date
from clientledger.insurance.remittance import (
    Adjustment,
    ClaimPayment,
    InvalidRemittance,
    ProviderAdjustment,
    Remittance,
    RemittanceHeader,
    ServicePayment,
    format_amount,
)
from clientledger.insurance.x12_input import (
    NO_MAP,
    RESEND,
    ST01_NAMES,
    SUPPORTED_VERSIONS,
    IssueLog,
    Source,
    classify_outside,
    envelope_message,
    not_x12_message,
    open_text,
    pyx12_params,
    summarise,
    unsupported_message,
)

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


class RemittanceReader:
    """Streams one 835: ``header`` is ready on construction, ``claims()`` yields claim by claim.

    ``provider_adjustments`` (PLB, which follows the claims) and ``warnings`` are complete once
    ``claims()`` is exhausted. Use as a context manager so a file opened from a path is closed.
    """

    def __init__(self, source: Source) -> None:
        if isinstance(source, bytes | str) and not source.strip():
            raise InvalidRemittance(f"The uploaded file is empty. {RESEND}")
        self._stream, self._release = open_text(source)
        self._closed = False
        self._log = IssueLog()
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
                context = pyx12.x12context.X12ContextReader(pyx12_params(), self._log, self._stream)
            except Exception as exc:
                raise InvalidRemittance(not_x12_message(self._stream, exc)) from exc
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
                first, last = line_span(node)
                self._check_outside(before=first)
                findings = [i.describe() for i in self._log.take(first, last)]
                yield build_claim(node, findings)
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
            no_map = NO_MAP.search(str(exc))
            if no_map is not None:
                raise InvalidRemittance(unsupported_message(*no_map.groups())) from exc
            raise InvalidRemittance(
                f"The file could not be read as an X12 835 ({type(exc).__name__}: {exc}). {RESEND}"
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
        self._check_outside(before=line_span(self._pending)[0])
        return header

    def _header(self) -> RemittanceHeader:
        if self._transactions == 0:
            raise InvalidRemittance(f"The file has no ST*835 transaction in it. {RESEND}")
        if self._bpr is None:
            raise InvalidRemittance(
                "The file has no BPR segment (the payment amount and date), so it is not a complete "
                f"835 remittance. {RESEND}"
            )
        if self._trn is None:
            raise InvalidRemittance(f"The file has no TRN segment (the check or EFT trace number). {RESEND}")
        if self._payer_name is None:
            raise InvalidRemittance(f"The file does not name the payer (no N1*PR segment). {RESEND}")
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
            code = element(seg, "GS01")
            version = element(seg, "GS08")
            if code != "HP" or not version.startswith(SUPPORTED_VERSIONS):
                raise InvalidRemittance(unsupported_message(code, version))
        elif seg_id == "ST":
            self._transactions += 1
            kind = element(seg, "ST01")
            if kind != "835":
                what = ST01_NAMES.get(kind, f"an X12 {kind or '(blank)'} transaction")
                raise InvalidRemittance(f"This file contains {what}, not an 835 remittance (ERA).")
            if self._transactions > 1:
                raise InvalidRemittance(
                    "This file holds more than one payment (several ST*835 transactions, segment "
                    f"{line}). Import one payment per file: ask your clearinghouse to split it."
                )
        elif seg_id == "BPR":
            self._bpr = (self._header_money(seg, line, "BPR02", "payment total"), self._bpr_date(seg, line))
        elif seg_id == "TRN":
            trace = element(seg, "TRN02")
            if not trace:
                raise InvalidRemittance(f"Segment {line} (TRN) has no trace number (TRN02). {RESEND}")
            self._trn = (trace, element(seg, "TRN03"))
        elif seg_id == "N1" and element(seg, "N101") == "PR":
            self._payer_name = element(seg, "N102")
            if element(seg, "N103") == "XV":
                self._payer_n1_id = element(seg, "N104")
        elif seg_id == "REF" and "/1000A/" in path and element(seg, "REF01") == "2U":
            self._payer_ref_id = element(seg, "REF02")
        elif seg_id == "PLB":
            self.provider_adjustments.extend(self._plb(seg, line))

    def _header_money(self, seg: Any, line: int, ref: str, label: str) -> int:
        raw = element(seg, ref)
        try:
            return to_cents(raw)
        except ValueError as exc:
            raise InvalidRemittance(f"Segment {line} {ref} ({label}) '{raw}' {exc}. {RESEND}") from exc

    def _bpr_date(self, seg: Any, line: int) -> dt.date:
        raw = element(seg, "BPR16")
        try:
            return to_date(raw)
        except ValueError as exc:
            raise InvalidRemittance(f"Segment {line} BPR16 (check or EFT date) '{raw}' {exc}. {RESEND}") from exc

    def _plb(self, seg: Any, line: int) -> list[ProviderAdjustment]:
        """PLB03/04 ... PLB13/14: up to six reason:reference/amount pairs."""
        result: list[ProviderAdjustment] = []
        for i in range(6):
            ref_composite, ref_amount = f"PLB{3 + 2 * i:02d}", f"PLB{4 + 2 * i:02d}"
            reason = element(seg, f"{ref_composite}-1")
            if not reason:
                continue
            result.append(
                ProviderAdjustment(
                    reason=reason,
                    reference=element(seg, f"{ref_composite}-2"),
                    amount=self._header_money(seg, line, ref_amount, f"provider adjustment {reason}"),
                )
            )
        return result

    def _check_outside(self, before: int | None) -> None:
        """Judge the findings outside claim loops seen so far: refuse the file or keep as warnings."""
        if self._log.envelope:
            raise InvalidRemittance(envelope_message(self._log.envelope))
        fatal, warnings = classify_outside(self._log.take_before(before))
        self.warnings.extend(w.describe() for w in warnings)
        if fatal:
            raise InvalidRemittance(
                "The file's structure is broken outside any claim, so claims could be lost: "
                f"{summarise(fatal)}. {RESEND}"
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
