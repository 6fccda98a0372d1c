"""Turning one pyx12 claim loop (CLP with its CAS and SVC segments) into a ``ClaimPayment``."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from clientledger.insurance.remittance import Adjustment, ClaimPayment, ServicePayment
from clientledger.insurance.x12_input import ADJUSTMENT_GROUPS

AMOUNT = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
DATE = re.compile(r"^\d{8}$")
REFERENCE = re.compile(r"(\d{2})(?:-(\d{1,2}))?$")


# ---------------------------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------------------------


def to_cents(raw: str) -> int:
    """Exact X12 decimal -> cents. ``ValueError`` (with a reason) for anything not exact to a cent.

    Trailing zeros past the cent (``150.000``) are exact and accepted; ``130.005`` is not.
    """
    text = raw.strip()
    if not AMOUNT.match(text):
        raise ValueError("is not an amount")
    try:
        scaled = Decimal(text) * 100
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError("is not an amount") from exc
    if scaled != scaled.to_integral_value():
        raise ValueError("has more than 2 decimal places")
    return int(scaled)


def to_date(raw: str) -> dt.date:
    if not DATE.match(raw):
        raise ValueError("is not a CCYYMMDD date")
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date()
    except ValueError as exc:
        raise ValueError("is not a real date") from exc


@functools.lru_cache(maxsize=256)
def _position(ref: str) -> tuple[int, int | None]:
    """``"SVC01-2"`` -> ``(0, 1)``: zero-based element and sub-element index of a reference."""
    match = REFERENCE.search(ref)
    if match is None:
        raise ValueError(f"not an X12 element reference: {ref!r}")
    element, sub = match.groups()
    return int(element) - 1, (int(sub) - 1 if sub else None)


def element(seg: Any, ref: str) -> str:
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
        raw = element(seg, ref)
        if not raw:
            if required:
                self.items.append(f"segment {line} {ref} ({label}) is missing")
            return 0
        try:
            return to_cents(raw)
        except ValueError as exc:
            self.items.append(f"segment {line} {ref} ({label}) '{raw}' {exc}")
            return 0


def _adjustments(seg: Any, line: int, problems: _Problems) -> list[Adjustment]:
    """All six reason/amount/quantity triples of one CAS segment (CAS02-04 ... CAS17-19)."""
    group = element(seg, "CAS01")
    if group not in ADJUSTMENT_GROUPS:
        problems.items.append(f"segment {line} CAS01 adjustment group '{group}' is not CO, PR, OA, PI or CR")
    result: list[Adjustment] = []
    for i in range(6):
        reason_ref, amount_ref, quantity_ref = (f"CAS{2 + 3 * i:02d}", f"CAS{3 + 3 * i:02d}", f"CAS{4 + 3 * i:02d}")
        reason = element(seg, reason_ref)
        raw_amount = element(seg, amount_ref)
        raw_quantity = element(seg, quantity_ref)
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
            procedure = element(seg, "SVC01-2")
            if not procedure:
                problems.items.append(f"segment {line} SVC01 has no procedure code")
            charge = problems.money(seg, line, "SVC02", "line charge", required=True)
            paid = problems.money(seg, line, "SVC03", "line paid amount", required=True)
        elif seg_id == "CAS":
            adjustments.extend(_adjustments(seg, line, problems))
        elif seg_id == "DTM":
            qualifier, raw = element(seg, "DTM01"), element(seg, "DTM02")
            try:
                dates[qualifier] = to_date(raw)
            except ValueError as exc:
                problems.items.append(f"segment {line} DTM02 service date '{raw}' {exc}")
    return ServicePayment(
        procedure_code=procedure,
        charge=charge,
        paid=paid,
        adjustments=adjustments,
        date=dates.get("472") or dates.get("150"),
    )


def build_claim(tree: Any, findings: list[str]) -> ClaimPayment:
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
            claim_ref = element(seg, "CLP01")
            status = element(seg, "CLP02")
            if not claim_ref:
                problems.items.append(f"segment {line} CLP01 (claim reference) is missing")
            if not status:
                problems.items.append(f"segment {line} CLP02 (claim status) is missing")
            charge = problems.money(seg, line, "CLP03", "total charge", required=True)
            paid = problems.money(seg, line, "CLP04", "paid amount", required=True)
            responsibility = problems.money(seg, line, "CLP05", "patient responsibility", required=False)
            payer_control = element(seg, "CLP07") or None
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


def line_span(tree: Any) -> tuple[int, int]:
    lines = [int(s["cur_line_number"] or 0) for s in tree.iterate_segments()]
    return (min(lines), max(lines)) if lines else (0, 0)
