from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from clientledger.kit.schemas import ReadModel, UtcDateTime


class ClientCreditBalance(ReadModel):
    client_id: str
    name: str
    credit_balance: int = Field(description="Integer cents the practice owes the client as credit")


class CreditBalancesRead(BaseModel):
    as_of: dt.date
    clients: list[ClientCreditBalance]
    total: int = Field(description="The practice's credit liability at the end of `as_of` (integer cents)")


class AgingBuckets(BaseModel):
    """Integer cents due, by the age of the bill in whole days (the practice's days) at `as_of`."""

    model_config = ConfigDict(populate_by_name=True)

    days_0_30: int = Field(0, alias="0_30", description="Bills 0 to 30 days old")
    days_31_60: int = Field(0, alias="31_60", description="Bills 31 to 60 days old")
    days_61_90: int = Field(0, alias="61_90", description="Bills 61 to 90 days old")
    over_90: int = Field(0, alias="over_90", description="Bills more than 90 days old")


class ClientAging(BaseModel):
    client_id: str
    name: str
    balance_due: int = Field(description="Integer cents the client owed at the end of `as_of`")
    buckets: AgingBuckets


class AgingRead(BaseModel):
    as_of: dt.date
    buckets: AgingBuckets = Field(description="Each bucket summed over the clients")
    clients: list[ClientAging] = Field(description="Clients with something due, by name")
    total: int = Field(description="The sum of the clients' `balance_due` (integer cents)")


class PostingRead(ReadModel):
    account: str
    amount: int = Field(description="Signed integer cents: debit positive, credit negative")
    client_id: str | None = None
    bill_id: str | None = None
    item_id: str | None = None
    line_id: str | None = None
    payment_id: str | None = None
    lot_id: str | None = None


class JournalEntryRead(ReadModel):
    id: str
    kind: str
    created_at: UtcDateTime
    user_id: str | None = None
    client_id: str | None = None
    bill_id: str | None = None
    payment_id: str | None = None
    memo: str | None = None
    request_id: str | None = None
    postings: list[PostingRead]
