"""The values an 835 import hands to the ledger: frozen dataclasses, money in int cents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from clientledger.kit.errors import ValidationFailed
from clientledger.kit.money import format_x12
from clientledger.rules.insurance import claim_balances


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
        line_adjustments = sum(a.amount for a in self.adjustments)
        return claim_balances(charge=self.charge, paid=self.paid, adjustment_total=line_adjustments)


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
        return claim_balances(charge=self.charge, paid=self.paid, adjustment_total=self.adjustment_total)

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


#: X12 decimals (``-20.00``); the rules write their messages with it too.
format_amount = format_x12
