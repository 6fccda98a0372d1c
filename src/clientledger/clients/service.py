"""Client use cases."""

from __future__ import annotations

from clientledger.audit.service import record_event
from clientledger.clients.repository import get_client_row, insert_client, list_client_rows
from clientledger.clients.schemas import ClientCreate, ClientRead
from clientledger.db import Tx
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case


@use_case(Permission.MANAGE_CLIENTS)
def create_client(tx: Tx, *, data: ClientCreate) -> ClientRead:
    """Add a client; an insurance client carries the copay collected at each session."""
    if data.billing == "insurance" and data.copay is None:
        raise ValidationFailed("An insurance client needs a copay (integer cents, 0 allowed).")
    client_id = new_id("cl")
    insert_client(
        tx,
        client_id=client_id,
        name=data.name.strip(),
        email=data.email,
        billing=data.billing,
        copay=data.copay if data.billing == "insurance" else None,
    )
    record_event(tx, action="client.created", object_ids=[client_id], detail={"name": data.name})
    return get_client(tx, client_id=client_id)


@use_case(Permission.READ)
def get_client(tx: Tx, *, client_id: str) -> ClientRead:
    return ClientRead.model_validate(get_client_row(tx, client_id))


@use_case(Permission.READ)
def list_clients(tx: Tx, *, q: str | None = None, limit: int = 50, cursor: str | None = None) -> list[ClientRead]:
    """Clients by name; with ``q``, those whose name or email holds it anywhere, case aside."""
    if q is not None and "\x00" in q:
        raise ValidationFailed("q: a search may not contain a NUL character.")
    rows = list_client_rows(tx, q=q.strip() if q else None, limit=limit, cursor=cursor)
    return [ClientRead.model_validate(r) for r in rows]
