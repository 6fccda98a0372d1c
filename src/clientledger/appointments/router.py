"""HTTP: sessions, and what a cancellation or no-show does to the money already paid (rule 6)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_in_memory
from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentStatusChange,
    AppointmentStatusResult,
)

router = APIRouter(tags=["appointments"])


@router.post("/appointments", status_code=201, response_model=AppointmentRead, responses=declare(403, 404, 409))
def schedule_appointment(data: AppointmentCreate, rc: Staff, idem: Idem) -> Response:
    """Schedule a session for a client (`status: "scheduled"`); `fee` in integer cents."""
    return rc.answer(appointments.schedule_appointment, idem, status_code=201, data=data)


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead, responses=declare(404))
def get_appointment(appointment_id: str, rc: Staff) -> AppointmentRead:
    return rc.read(appointments.get_appointment, appointment_id=appointment_id)


@router.post(
    "/appointments/{appointment_id}/status",
    response_model=AppointmentStatusResult,
    responses=declare(403, 404, 409),
)
def set_appointment_status(appointment_id: str, data: AppointmentStatusChange, rc: Staff, idem: Idem) -> Response:
    """Mark a session attended, canceled, late canceled or no-show.

    A canceled or missed session bills only `fee`; what the client paid beyond it becomes a credit
    lot (`disposition: credit`) or goes back to the original payment (`refund`). The answer carries
    the bill and the credit lots created.
    """
    return rc.answer(
        appointments.set_appointment_status, idem, status_code=200, appointment_id=appointment_id, data=data
    )


@router.get("/clients/{client_id}/appointments", response_model=Page[AppointmentRead], responses=declare(404))
def list_client_appointments(client_id: str, rc: Staff, paging: Paging) -> Page[AppointmentRead]:
    """A client's sessions, latest date first."""
    items = rc.read(appointments.list_client_appointments, client_id=client_id)
    return page_in_memory(items, paging, key=lambda a: a.id)
