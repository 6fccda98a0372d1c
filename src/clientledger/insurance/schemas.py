"""Insurance payments and 835 import reports, as the API and the UI exchange them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import Field

from clientledger.billing.schemas import BillRead
from clientledger.credits.schemas import LotRead
from clientledger.kit.schemas import Id, Line, Model, NonNegativeCents, ReadModel, UtcDateTime

AdjustmentGroup = Literal["CO", "PR", "OA", "PI", "CR"]
ADJUSTMENT_GROUPS: frozenset[str] = frozenset(get_args(AdjustmentGroup))
ClaimResult = Literal["posted", "duplicate", "unmatched", "unbalanced"]
SignedCents = Annotated[int, Field(strict=True, ge=-(10**11), le=10**11, description="Integer cents; may be negative")]
ClaimRef = Annotated[
    Line,
    Field(
        min_length=1,
        max_length=20,
        pattern=r"^[A-Z0-9-]+$",
        description="Patient control number: <= 20 of A-Z, 0-9 and '-', unique in the practice",
    ),
]


class AdjustmentIn(Model):
    group: AdjustmentGroup = Field(
        description="CAS group: CO contractual, PR patient responsibility, OA other, PI payer-initiated, CR correction"
    )
    reason: Line = Field(min_length=1, max_length=5, pattern=r"^[A-Z0-9]+$", description="CARC code, e.g. 45")
    amount: SignedCents


class InsurancePaymentCreate(Model):
    item_id: Id
    payer: Line = Field(min_length=1, max_length=80, description="The payer's id (as the 835 names it)")
    paid: NonNegativeCents
    patient_responsibility: NonNegativeCents
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=99)
    claim_ref: ClaimRef | None = Field(
        default=None, description="Sets the item's claim_ref when it has none; otherwise must equal it"
    )


class ClaimRefUpdate(Model):
    claim_ref: ClaimRef


class InsurancePaymentResult(BillRead):
    """The bill after the payment, and the credit lots the overpaid client money went into."""

    credits_created: list[LotRead] = Field(default_factory=list)
    insurance_payment_id: str | None = None


class CreditCreated(Model):
    """A credit lot a claim created: client money the payer's decision took off a bill."""

    lot_id: str
    amount: int
    payment_id: str | None = Field(default=None, description="The client payment the money came from")


class ClaimReport(Model):
    claim_ref: str
    result: ClaimResult
    reason: str | None = None
    bill_id: str | None = None
    status_code: str = Field(description="CLP02: 1 processed as primary, 4 denied, 22 reversal, ...")
    paid: int = Field(description="CLP04 in cents")
    credits_created: list[CreditCreated] = Field(default_factory=list)


class ImportTotals(Model):
    claims: int = 0
    matched: int = Field(default=0, description="Claims whose claim_ref names a billed session")
    posted: int = 0
    duplicate: int = 0
    unmatched: int = 0
    unbalanced: int = 0
    paid_posted: int = Field(default=0, description="Cents the posted claims paid")
    credits_created_amount: int = Field(default=0, description="Cents of client credit the posted claims created")


class EraImportRead(Model):
    id: str
    trace: str
    payer_id: str
    payer_name: str
    payment_total: int
    check_date: dt.date | None = None
    created_at: UtcDateTime
    claims: list[ClaimReport]
    totals: ImportTotals
    warnings: list[str] = Field(default_factory=list, description="What was read but not posted, and why")


class InsurancePaymentRead(ReadModel):
    id: str
    bill_id: str
    item_id: str
    payer: str
    claim_ref: str | None
    paid: int
    patient_responsibility: int
    contractual: int
    other_adjusted: int
    status: Literal["posted", "reversed"]
    era_import_id: str | None = None
    trace: str | None = None
    created_at: UtcDateTime
