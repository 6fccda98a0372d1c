"""HTTP: households (a family whose members' bills may draw on each other's credit)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Staff
from clientledger.api.errors import declare
from clientledger.households import service as households
from clientledger.households.schemas import HouseholdCreate, HouseholdRead, MemberAdd

router = APIRouter(tags=["households"])


@router.post("/households", status_code=201, response_model=HouseholdRead, responses=declare(403, 404, 409))
def create_household(data: HouseholdCreate, rc: Staff, idem: Idem) -> Response:
    """A household of `client_ids`. With `share_credit` true, a member's bill that applies credit
    draws on that member's lots first, then on the other members' lots, oldest first. A client
    belongs to at most one household (409 `already_in_household`)."""
    return rc.answer(households.create_household, idem, status_code=201, data=data)


@router.get("/households/{household_id}", response_model=HouseholdRead, responses=declare(404))
def get_household(household_id: str, rc: Staff) -> HouseholdRead:
    """The household with each member's credit balance and balance due, and their totals."""
    return rc.read(households.get_household, household_id=household_id)


@router.post(
    "/households/{household_id}/members",
    status_code=201,
    response_model=HouseholdRead,
    responses=declare(403, 404, 409),
)
def add_member(household_id: str, data: MemberAdd, rc: Staff, idem: Idem) -> Response:
    """Add a client to the household (409 `already_in_household` if it belongs to one)."""
    return rc.answer(households.add_member, idem, status_code=201, household_id=household_id, data=data)
