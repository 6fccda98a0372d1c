"""What the documents hold: the statement's JSON, and the data each PDF is printed from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class StatementEntry(BaseModel):
    date: dt.date = Field(description="The practice's day the movement happened")
    description: str
    charges: int = Field(description="Integer cents billed (negative: a charge lowered, e.g. a canceled session)")
    payments: int = Field(description="Integer cents paid on bills (negative: taken back, e.g. a refund)")
    credit: int = Field(description="Signed change of the client's credit, integer cents (+ added, - used or gone)")
    kind: str = Field(description="The journal entry's kind")
    bill_id: str | None = None
    payment_id: str | None = None


class StatementRead(BaseModel):
    """``opening_balance_due + sum(charges) - sum(payments) == closing_balance_due``, and
    ``opening_credit_balance + sum(credit) == credit_balance``."""

    model_config = ConfigDict(populate_by_name=True)

    client_id: str
    from_: dt.date = Field(alias="from", description="First day (the practice's), inclusive")
    to: dt.date = Field(description="Last day (the practice's), inclusive")
    opening_balance_due: int = Field(description="What the client owed at the start of `from` (integer cents)")
    entries: list[StatementEntry]
    closing_balance_due: int = Field(description="What the client owed at the end of `to` (integer cents)")
    opening_credit_balance: int = Field(description="The client's credit at the start of `from` (integer cents)")
    credit_balance: int = Field(description="The client's credit at the end of `to` (integer cents)")


@dataclass(frozen=True, slots=True)
class Practice:
    name: str
    npi: str | None
    tax_id: str | None


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class StatementDocument:
    practice: Practice
    client: Client
    statement: StatementRead


@dataclass(frozen=True, slots=True)
class ReceiptBill:
    number: int
    sessions: str
    applied: int


@dataclass(frozen=True, slots=True)
class ReceiptRefund:
    date: dt.date
    amount: int
    status: str
    reason: str | None
    failure_reason: str | None


@dataclass(frozen=True, slots=True)
class Receipt:
    practice: Practice
    client: Client
    payment_id: str
    date: dt.date
    method: str
    amount: int
    memo: str | None
    bills: list[ReceiptBill]
    to_credit: int
    refunded: int
    refunds: list[ReceiptRefund]
    removed: bool


@dataclass(frozen=True, slots=True)
class SuperbillSession:
    date: dt.date
    service_code: str
    bill_number: int
    status: str | None  # said only when the session was not attended (a cancellation or no-show fee)
    fee: int
    client_paid: int
    insurance_paid: int


@dataclass(frozen=True, slots=True)
class Superbill:
    practice: Practice
    client: Client
    start: dt.date
    end: dt.date
    sessions: list[SuperbillSession]

    @property
    def total_fee(self) -> int:
        return sum(s.fee for s in self.sessions)

    @property
    def total_client_paid(self) -> int:
        return sum(s.client_paid for s in self.sessions)

    @property
    def total_insurance_paid(self) -> int:
        return sum(s.insurance_paid for s in self.sessions)
