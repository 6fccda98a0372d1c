from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from clientledger.kit.schemas import ReadModel, UtcDateTime


class ClientCreditBalance(ReadModel):
    client_id: str
    name: str
    credit_balance: int = Field(description="Integer cents the practice owes the client as credit")


class CreditBalancesRead(BaseModel):
    as_of: dt.date
    clients: list[ClientCreditBalance]
    total: int = Field(description="The practice's credit liability at the end of `as_of` (integer cents)")


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
