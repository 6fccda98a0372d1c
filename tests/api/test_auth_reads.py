"""An API request opens only the transactions of its use case: the bearer token costs none.

The token is one autocommit read outside the engine (``auth.repository.token_reader``); before, every request
paid a transaction of its own (BEGIN, the lookup, COMMIT) before its use case ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Connection, event

from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate
from clientledger.service_layer import Actor, Runner
from tests.api.conftest import Api


@dataclass
class Sent:
    begins: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def engine_traffic(app: FastAPI) -> Iterator[Sent]:
    """Every transaction begun and every statement sent through the app's engine meanwhile."""
    engine = app.state.runner.db.engine
    sent = Sent()

    def on_begin(_conn: Connection) -> None:
        sent.begins += 1

    def on_statement(_conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        sent.statements.append(statement)

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield sent
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_statement)


def test_a_bill_through_the_api_opens_the_same_transactions_as_its_use_case_alone(owner: Api, app: FastAPI) -> None:
    client_id = owner.client()["id"]
    owner.prepay(client_id, "cash", 40000)
    by_http, by_runner = owner.appointment(client_id)["id"], owner.appointment(client_id)["id"]
    runner: Runner = app.state.runner
    actor = Actor(practice_id=owner.practice_id, user_id=None, role="owner")

    with engine_traffic(app) as alone:
        bill = runner.run(actor, billing.create_bill, data=BillCreate(client_id=client_id, appointment_ids=[by_runner]))
    with engine_traffic(app) as through_http:
        answer = owner.bill(client_id, [by_http])

    assert bill.status == answer["status"] == "paid"  # both paid from credit
    assert owner.credit_balance(client_id) == 40000 - 2 * 15000
    assert alone.begins >= 1
    assert through_http.begins == alone.begins
    assert not [s for s in through_http.statements if "api_tokens" in s]


def test_a_read_through_the_api_is_one_read_transaction_and_no_token_statement(owner: Api, app: FastAPI) -> None:
    client_id = owner.client()["id"]
    bill_id = owner.session_bill(client_id)["id"]

    with engine_traffic(app) as sent:
        assert owner.get(f"/bills/{bill_id}")["client_responsibility"] == 15000

    assert sent.begins == 1
    assert not [s for s in sent.statements if "api_tokens" in s]


def test_each_request_still_reads_the_token_so_a_revocation_holds_at_once(owner: Api) -> None:
    client_id = owner.client()["id"]
    biller = owner.login_as("biller")
    assert biller.get(f"/clients/{client_id}")["id"] == client_id

    assert biller.call("DELETE", "/auth/tokens/current", expect=204) is None

    refused = biller.get(f"/clients/{client_id}", expect=401)
    assert refused["error"]["message"] == "The bearer token has been revoked."
    assert owner.get(f"/clients/{client_id}")["id"] == client_id  # another token of the practice still works
