from __future__ import annotations

from pydantic import Field

from clientledger.kit.schemas import Id, Line, Model, ReadModel, StrictBool, UtcDateTime


class HouseholdCreate(Model):
    name: Line = Field(min_length=1, max_length=200)
    client_ids: list[Id] = Field(min_length=1, max_length=50)
    share_credit: StrictBool = False


class MemberAdd(Model):
    client_id: Id


class MemberRead(ReadModel):
    client_id: str
    name: str
    credit_balance: int
    balance_due: int
    package_credit: int = Field(
        default=0, description="Of credit_balance, what package lots hold (their sessions only)"
    )


class HouseholdRead(ReadModel):
    id: str
    name: str
    share_credit: bool
    members: list[MemberRead]
    credit_balance: int = Field(description="The members' credit balances added up")
    balance_due: int = Field(description="What the members owe, added up")
    shared_credit: int = Field(
        description="Credit any member's bill may draw on (with share_credit; package lots pay only their sessions)"
    )
    created_at: UtcDateTime
