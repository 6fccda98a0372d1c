"""HTTP: the practice's settings and its staff."""

from __future__ import annotations

from fastapi import APIRouter

from clientledger.api.deps import Staff
from clientledger.api.errors import declare
from clientledger.practices import service as practices
from clientledger.practices.schemas import PracticeRead, PracticeUpdate, UserCreate, UserRead

router = APIRouter(tags=["practice"])


@router.get("/practice", response_model=PracticeRead, responses=declare())
def get_practice(rc: Staff) -> PracticeRead:
    return rc.read(practices.get_practice)


@router.patch("/practice", response_model=PracticeRead, responses=declare(403, 409))
def update_practice(data: PracticeUpdate, rc: Staff) -> PracticeRead:
    """Rename the practice or switch `auto_apply_credit` (whether new bills use credit by default)."""
    return rc.run(practices.update_practice, data=data)


@router.post("/users", status_code=201, response_model=UserRead, responses=declare(403, 409))
def create_user(data: UserCreate, rc: Staff) -> UserRead:
    """Owner only: add a staff member as `owner`, `biller` or `clinician` (clinicians only read)."""
    return rc.run(practices.create_user, data=data)
