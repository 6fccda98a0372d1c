"""HTTP: prepaid packages of sessions (sold on the client page, listed on Billing Settings)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Staff
from clientledger.api.errors import declare
from clientledger.packages import service as packages
from clientledger.packages.schemas import PackageCreate, PackageList, PackageRead

router = APIRouter(tags=["packages"])


@router.post(
    "/clients/{client_id}/packages",
    status_code=201,
    response_model=PackageRead,
    responses=declare(402, 403, 404, 409, 503),
)
def sell_package(client_id: str, data: PackageCreate, rc: Staff, idem: Idem) -> Response:
    """Sell the client a package of `sessions` sessions for `price`. The payment (`amount`, default
    `price`; card, cash or check) goes into a credit lot of source `package`, which pays only this
    package's sessions; a payment above `price` puts the rest into an `overpayment` lot. A bill for
    an attended session of `service_code` (any code when null) then draws one session's share
    (`price // sessions`, the last session the remainder) before any other credit, and the rest
    of the fee as a discount."""
    return rc.answer(packages.sell_package, idem, status_code=201, client_id=client_id, data=data)


@router.get("/clients/{client_id}/packages", response_model=PackageList, responses=declare(404))
def list_packages(client_id: str, rc: Staff) -> PackageList:
    """The client's packages, oldest first (the order sessions draw on them), with sessions used and left."""
    return rc.read(packages.list_packages, client_id=client_id)


@router.get("/packages/{package_id}", response_model=PackageRead, responses=declare(404))
def get_package(package_id: str, rc: Staff) -> PackageRead:
    """One package, with its sessions used and left and what its lot still holds."""
    return rc.read(packages.get_package, package_id=package_id)
