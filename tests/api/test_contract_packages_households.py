"""API.md "Prepaid session packages" and "Households", with the money rules, read literally.

Each test checks sentences of the contract (quoted in its docstring) over HTTP, as someone who knows
only API.md would, on every database the fixtures run; after each one `clientledger verify` finds
nothing wrong with the ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate
from clientledger.db import Database
from clientledger.kit.errors import ClientLedgerError
from tests.api.conftest import API, Api, ledger_problems, new_owner
from tests.factories import Ledger

PACKAGE_KEYS = {
    "id",
    "client_id",
    "name",
    "sessions",
    "sessions_used",
    "sessions_remaining",
    "price",
    "service_code",
    "lot_id",
    "lot_remaining",
    "payment_id",
    "created_at",
}
HOUSEHOLD_KEYS = {
    "id",
    "name",
    "share_credit",
    "members",
    "credit_balance",
    "balance_due",
    "shared_credit",
    "created_at",
}
MEMBER_KEYS = {"client_id", "name", "credit_balance", "balance_due", "package_credit"}


@pytest.fixture(autouse=True)
def ledger_stays_clean(db: Database) -> Iterator[None]:
    """Rule 9: `clientledger verify` recomputes every balance from the journal; it finds nothing."""
    yield
    assert ledger_problems(db) == []


# --- helpers ------------------------------------------------------------------------------------


def _send(api: Api, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
    response: httpx.Response = api.http.request(method, API + path, json=body, headers=api.headers(**headers))
    return response


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] == code, response.text


def _sell(
    api: Api,
    client_id: str,
    *,
    sessions: int = 4,
    price: int = 40000,
    service_code: str | None = None,
    type: str = "cash",
    amount: int | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    payment: dict[str, Any] = {"type": type}
    if amount is not None:
        payment["amount"] = amount
    body: dict[str, Any] = {"name": f"{sessions} sessions", "sessions": sessions, "price": price, "payment": payment}
    if service_code is not None:
        body["service_code"] = service_code
    package: dict[str, Any] = api.post(f"/clients/{client_id}/packages", body, key=key, expect=201)
    return package


def _package(api: Api, package_id: str) -> dict[str, Any]:
    package: dict[str, Any] = api.get(f"/packages/{package_id}")
    return package


def _lots(api: Api, client_id: str) -> dict[str, tuple[str, int]]:
    """The client's lots: ``id -> (source, remaining)``."""
    return {lot["id"]: (lot["source"], lot["remaining"]) for lot in api.get(f"/clients/{client_id}/credits")["lots"]}


def _appointment(api: Api, client_id: str, fee: int = 15000, code: str = "90834", date: str = "2026-11-02") -> str:
    body = {"client_id": client_id, "date": date, "service_code": code, "fee": fee}
    return str(api.post("/appointments", body, expect=201)["id"])


def _bill(api: Api, client_id: str, *appointment_ids: str, apply: bool | None = True) -> dict[str, Any]:
    body: dict[str, Any] = {"client_id": client_id, "appointment_ids": list(appointment_ids)}
    if apply is not None:
        body["apply_available_credit"] = apply
    bill: dict[str, Any] = api.post("/bills", body, expect=201)
    return bill


def _session(
    api: Api, client_id: str, fee: int = 15000, code: str = "90834", apply: bool | None = True
) -> dict[str, Any]:
    return _bill(api, client_id, _appointment(api, client_id, fee, code), apply=apply)


def _credit_lines(bill: dict[str, Any]) -> list[dict[str, Any]]:
    return [x for x in bill["lines"] if x["type"] == "client_credit" and x.get("removed_at") is None]


def _split(bill: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A bill's client_credit lines: (deducted from credit, discounts)."""
    lines = _credit_lines(bill)
    return [x for x in lines if x["deduct_from_credit_balance"]], [
        x for x in lines if not x["deduct_from_credit_balance"]
    ]


def _household(api: Api, client_ids: list[str], share_credit: bool = True) -> dict[str, Any]:
    body = {"name": "The Rivera family", "client_ids": client_ids, "share_credit": share_credit}
    household: dict[str, Any] = api.post("/households", body, expect=201)
    return household


def _events(api: Api, type: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        page = api.get(f"/events?type={type}&limit=200" + (f"&cursor={cursor}" if cursor else ""))
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("GET /events never ended")


# --- selling a package --------------------------------------------------------------------------


def test_a_package_sold_is_201_with_its_sessions_and_its_lot(owner: Api) -> None:
    """`POST /clients/{id}/packages` `name, sessions, price, service_code?, payment: {type, amount?,
    payment_method?}` → 201 package `id, name, sessions, sessions_remaining, price, service_code, lot_id,
    payment_id`. The payment (amount default `price`) goes into a credit lot with source `package`.
    `GET /clients/{id}/packages` → `{data}`."""
    client = owner.client("Pia Package")

    package = _sell(owner, client["id"], sessions=4, price=40000, service_code="90834", type="card")

    assert set(package) >= PACKAGE_KEYS, package
    assert (package["client_id"], package["name"], package["service_code"]) == (client["id"], "4 sessions", "90834")
    assert (package["sessions"], package["sessions_used"], package["sessions_remaining"]) == (4, 0, 4)
    assert (package["price"], package["lot_remaining"]) == (40000, 40000)
    assert _lots(owner, client["id"]) == {package["lot_id"]: ("package", 40000)}
    lot = owner.get(f"/clients/{client['id']}/credits")["lots"][0]
    assert (lot["amount"], lot["payment_id"]) == (40000, package["payment_id"])
    payment = owner.get(f"/payments/{package['payment_id']}")
    assert (payment["type"], payment["amount"], payment["client_id"]) == ("card", 40000, client["id"])
    assert owner.get(f"/clients/{client['id']}/packages") == {"data": [package]}
    assert _package(owner, package["id"]) == package
    assert owner.credit_balance(client["id"]) == 40000  # rule 1: the sum of the lots' remaining


def test_a_payment_above_the_price_puts_the_rest_in_an_overpayment_lot(owner: Api) -> None:
    """A payment above `price` puts the rest into an `overpayment` lot."""
    client = owner.client("Olly Over")

    package = _sell(owner, client["id"], sessions=4, price=40000, amount=45000)

    lots = owner.get(f"/clients/{client['id']}/credits")["lots"]
    assert sorted((lot["source"], lot["amount"], lot["payment_id"]) for lot in lots) == [
        ("overpayment", 5000, package["payment_id"]),
        ("package", 40000, package["payment_id"]),
    ]
    assert owner.get(f"/payments/{package['payment_id']}")["amount"] == 45000
    assert (package["lot_remaining"], package["sessions_remaining"]) == (40000, 4)
    assert owner.credit_balance(client["id"]) == 45000


@pytest.mark.parametrize(
    "body",
    [
        {"sessions": 0},
        {"sessions": 1001},
        {"sessions": "4"},
        {"sessions": 4, "price": 3},
        {"price": 0},
        {"payment": {"type": "cash", "amount": 39999}},
        {"payment": {"type": "client_credit"}},
        {"payment": {"type": "insurance"}},
        {"payment": {"type": "cash", "payment_method": "pm_card_visa"}},
        {"payment": None},
        {"name": ""},
        {"service_code": ""},
        {"extra": 1},
    ],
    ids=lambda b: ",".join(f"{k}={v}" for k, v in b.items()),
)
def test_an_invalid_package_is_422_and_changes_nothing(owner: Api, body: dict[str, Any]) -> None:
    """`sessions` 1..1000, `price` at least a cent a session, a payment that covers the price: else 422,
    and nothing is sold or paid."""
    client = owner.client("Val Invalid")
    owner.prepay(client["id"], "cash", 2500)
    before = owner.get(f"/clients/{client['id']}/credits")
    full = {"name": "Four", "sessions": 4, "price": 40000, "payment": {"type": "cash"}, **body}
    full = {k: v for k, v in full.items() if v is not None}

    _error(_send(owner, "POST", f"/clients/{client['id']}/packages", full), 422, "validation_error")

    assert owner.get(f"/clients/{client['id']}/credits") == before
    assert owner.get(f"/clients/{client['id']}/packages") == {"data": []}
    assert owner.credit_balance(client["id"]) == 2500


def test_another_practices_client_package_and_household_are_404(owner: Api, http: TestClient, db: Database) -> None:
    """Every query is scoped by practice: another practice's client, package or household is not found."""
    other = new_owner(http, db)
    theirs = other.client("Their Theo")
    their_package = _sell(other, theirs["id"])
    their_household = _household(other, [theirs["id"]])
    mine = owner.client("Mine Mia")
    body = {"name": "Four", "sessions": 4, "price": 40000, "payment": {"type": "cash"}}

    _error(_send(owner, "POST", f"/clients/{theirs['id']}/packages", body), 404, "not_found")
    _error(_send(owner, "GET", f"/clients/{theirs['id']}/packages"), 404, "not_found")
    _error(_send(owner, "GET", f"/packages/{their_package['id']}"), 404, "not_found")
    _error(_send(owner, "GET", f"/households/{their_household['id']}"), 404, "not_found")
    _error(
        _send(owner, "POST", f"/households/{their_household['id']}/members", {"client_id": mine["id"]}),
        404,
        "not_found",
    )
    _error(
        _send(owner, "POST", "/households", {"name": "Mixed", "client_ids": [mine["id"], theirs["id"]]}),
        404,
        "not_found",
    )
    assert _package(other, their_package["id"]) == their_package
    assert [m["client_id"] for m in other.get(f"/households/{their_household['id']}")["members"]] == [theirs["id"]]
    assert owner.post("/households", {"name": "Mine", "client_ids": [mine["id"]]}, expect=201)["members"]


def test_a_retried_sale_with_the_same_idempotency_key_sells_one_package(owner: Api) -> None:
    """A retried POST with the same `Idempotency-Key` answers the same and records (and charges) nothing
    twice; the same key with another body is 409 `idempotency_key_reused`."""
    client = owner.client("Rhea Retry")

    first = _sell(owner, client["id"], type="card", key="sell-package-1")
    again = _sell(owner, client["id"], type="card", key="sell-package-1")

    assert again == first
    assert owner.get(f"/clients/{client['id']}/packages")["data"] == [first]
    assert _lots(owner, client["id"]) == {first["lot_id"]: ("package", 40000)}
    assert owner.credit_balance(client["id"]) == 40000
    body = {"name": "Other", "sessions": 2, "price": 20000, "payment": {"type": "cash"}}
    reused = _send(owner, "POST", f"/clients/{client['id']}/packages", body, **{"Idempotency-Key": "sell-package-1"})
    _error(reused, 409, "idempotency_key_reused")
    assert owner.get(f"/clients/{client['id']}/packages")["data"] == [first]


# --- sessions drawn on a bill -------------------------------------------------------------------


def test_a_session_draws_its_share_before_an_older_prepayment_and_the_rest_is_a_discount(owner: Api) -> None:
    """A bill created for an attended session …, with credit applied, draws one session from the client's
    oldest package with sessions left before any other credit: a `client_credit` line of the session's
    share of the price (`price // sessions`), and, when that share is below the item's client
    responsibility, the rest as a discount on that item. `sessions_remaining` goes down by one."""
    client = owner.client("Dora Draw")
    prepaid = owner.prepay(client["id"], "cash", 5000)
    prepaid_lot = next(lot for lot in _lots(owner, client["id"]))
    package = _sell(owner, client["id"], sessions=4, price=40000)

    bill = _session(owner, client["id"], fee=15000)

    [drawn], [discount] = _split(bill)
    assert drawn["amount"] == 10000
    assert drawn["lots"] == [
        {"lot_id": package["lot_id"], "amount": 10000, "source": "package", "client_id": client["id"]}
    ]
    assert discount["amount"] == 5000
    assert (bill["balance_due"], bill["status"]) == (0, "paid")
    assert owner.get(f"/bills/{bill['id']}") == bill
    after = _package(owner, package["id"])
    assert (after["sessions_used"], after["sessions_remaining"], after["lot_remaining"]) == (1, 3, 30000)
    assert _lots(owner, client["id"]) == {prepaid_lot: ("prepayment", 5000), package["lot_id"]: ("package", 30000)}
    assert owner.credit_balance(client["id"]) == 35000
    assert prepaid["amount"] == 5000


def test_a_session_owing_less_than_a_share_draws_only_what_it_owes(owner: Api) -> None:
    """A session never draws more than the item's client responsibility."""
    client = owner.client("Lena Less")
    package = _sell(owner, client["id"], sessions=4, price=40000)

    bill = _session(owner, client["id"], fee=6000)

    [drawn], discounts = _split(bill)
    assert (drawn["amount"], discounts) == (6000, [])
    assert (bill["balance_due"], bill["status"]) == (0, "paid")
    after = _package(owner, package["id"])
    assert (after["sessions_used"], after["sessions_remaining"], after["lot_remaining"]) == (1, 3, 34000)


def test_the_rest_of_a_bill_takes_other_credit_after_the_package_sessions(owner: Api) -> None:
    """… before any other credit; rule 2 applies `min(credit_balance, balance_due)` of the rest, and a
    package's lot pays only its own sessions."""
    client = owner.client("Rena Rest")
    owner.prepay(client["id"], "cash", 9000)
    package = _sell(owner, client["id"], sessions=2, price=20000, service_code="90834")

    bill = _bill(
        owner,
        client["id"],
        _appointment(owner, client["id"], 15000, "90834"),
        _appointment(owner, client["id"], 12000, "90791"),
    )

    deducted, discounts = _split(bill)
    by_source = sorted((x["amount"], [lot["source"] for lot in x["lots"]]) for x in deducted)
    assert by_source == [(9000, ["prepayment"]), (10000, ["package"])]
    assert [x["amount"] for x in discounts] == [5000]
    assert (bill["balance_due"], bill["status"]) == (12000 - 9000, "open")
    assert _package(owner, package["id"])["sessions_remaining"] == 1
    assert owner.credit_balance(client["id"]) == 10000  # the package's last session, nothing else


def test_the_last_session_takes_the_remainder_of_the_price(owner: Api) -> None:
    """Each session's share is `price // sessions`; the last session takes the remainder."""
    client = owner.client("Remy Remainder")
    package = _sell(owner, client["id"], sessions=3, price=10000)

    bills = [_session(owner, client["id"], fee=15000) for _ in range(3)]

    assert [[x["amount"] for x in _split(b)[0]] for b in bills] == [[3333], [3333], [3334]]
    assert [[x["amount"] for x in _split(b)[1]] for b in bills] == [[11667], [11667], [11666]]
    assert all((b["balance_due"], b["status"]) == (0, "paid") for b in bills)
    after = _package(owner, package["id"])
    assert (after["sessions_used"], after["sessions_remaining"], after["lot_remaining"]) == (3, 0, 0)

    fourth = _session(owner, client["id"], fee=15000)
    assert (_credit_lines(fourth), fourth["balance_due"], fourth["status"]) == ([], 15000, "open")


def test_a_session_draws_only_a_package_for_its_service_code(owner: Api) -> None:
    """… an attended session whose service code matches (any code when `service_code` is null)."""
    client = owner.client("Cody Code")
    package = _sell(owner, client["id"], sessions=2, price=20000, service_code="90837")

    other_code = _session(owner, client["id"], code="90834")
    matching = _session(owner, client["id"], code="90837")

    assert (_credit_lines(other_code), other_code["balance_due"]) == ([], 15000)
    assert [x["lots"][0]["lot_id"] for x in _split(matching)[0]] == [package["lot_id"]]
    assert matching["balance_due"] == 0
    assert _package(owner, package["id"])["sessions_remaining"] == 1

    anything = _sell(owner, client["id"], sessions=1, price=5000)
    another_code = _session(owner, client["id"], code="90791")
    assert [x["lots"][0]["lot_id"] for x in _split(another_code)[0]] == [anything["lot_id"]]


def test_the_oldest_package_with_sessions_left_is_drawn_first(owner: Api) -> None:
    """… draws one session from the client's oldest package with sessions left."""
    client = owner.client("Olga Oldest")
    old = _sell(owner, client["id"], sessions=1, price=12000)
    new = _sell(owner, client["id"], sessions=2, price=20000)

    first, second = (_session(owner, client["id"]) for _ in range(2))

    assert [x["lots"][0]["lot_id"] for x in _split(first)[0]] == [old["lot_id"]]
    assert [x["lots"][0]["lot_id"] for x in _split(second)[0]] == [new["lot_id"]]
    assert [p["sessions_remaining"] for p in owner.get(f"/clients/{client['id']}/packages")["data"]] == [0, 1]


def test_canceled_and_missed_sessions_draw_nothing(owner: Api) -> None:
    """An attended (or still scheduled) session draws; one canceled, late canceled or missed does not."""
    client = owner.client("Cass Cancel")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    missed = _appointment(owner, client["id"], 15000)
    owner.post(f"/appointments/{missed}/status", {"status": "no_show", "fee": 5000}, expect=200)

    bill = _bill(owner, client["id"], missed)

    assert (_credit_lines(bill), bill["balance_due"]) == ([], 5000)
    assert _package(owner, package["id"])["sessions_remaining"] == 4


def test_a_package_lot_is_not_spent_by_apply_credit_or_a_credit_payment(owner: Api) -> None:
    """A package's lot pays only its own sessions: no other bill's credit draws from it."""
    client = owner.client("Pat Protected")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    bill = _session(owner, client["id"], apply=False)

    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit"), 422, "insufficient_credit")
    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit", {"amount": 1000}), 422, "insufficient_credit")
    body = {"type": "client_credit", "amount": 1000, "deduct_from_credit_balance": True}
    _error(_send(owner, "POST", f"/bills/{bill['id']}/payments", body), 422, "insufficient_credit")

    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 15000
    assert _package(owner, package["id"]) == package
    assert _lots(owner, client["id"]) == {package["lot_id"]: ("package", 40000)}

    owner.prepay(client["id"], "cash", 2000)
    line = owner.post(f"/bills/{bill['id']}/apply-credit", expect=201)
    assert (line["amount"], [lot["source"] for lot in line["lots"]]) == (2000, ["prepayment"])
    assert _package(owner, package["id"])["lot_remaining"] == 40000


def test_a_bill_created_without_credit_draws_no_session(owner: Api) -> None:
    """`apply_available_credit` false: no line."""
    client = owner.client("Nia Nocredit")
    package = _sell(owner, client["id"], sessions=4, price=40000)

    bill = _session(owner, client["id"], apply=False)

    assert (bill["lines"], bill["balance_due"], bill["status"]) == ([], 15000, "open")
    assert _package(owner, package["id"]) == package


def test_refunding_the_session_line_gives_the_session_back_and_takes_its_discount_off(owner: Api) -> None:
    """Refunding that line returns its share to the package, the session with it, and takes the session's
    discount off the bill (rule 8: … and reopens the bill)."""
    client = owner.client("Rafa Refund")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    bill = _session(owner, client["id"], fee=15000)
    [drawn], [discount] = _split(bill)

    refunded = owner.post(f"/bills/{bill['id']}/lines/{drawn['id']}/refund", {}, expect=200)

    assert refunded["amount"] == 0
    after = owner.get(f"/bills/{bill['id']}")
    assert {x["id"]: x["amount"] for x in after["lines"]} == {drawn["id"]: 0, discount["id"]: 0}
    assert (after["balance_due"], after["status"]) == (15000, "open")
    assert _package(owner, package["id"]) == package
    assert owner.credit_balance(client["id"]) == 40000

    again = _session(owner, client["id"], fee=15000)
    assert [x["amount"] for x in _split(again)[0]] == [10000]


def test_deleting_the_session_line_uses_the_session_up_for_good(owner: Api) -> None:
    """Deleting it removes the session for good (rule 8: the credit is gone for good)."""
    client = owner.client("Dev Delete")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    bill = _session(owner, client["id"], fee=15000)
    [drawn], [discount] = _split(bill)

    r = _send(owner, "DELETE", f"/bills/{bill['id']}/lines/{drawn['id']}")
    assert r.status_code == 204, r.text

    after = owner.get(f"/bills/{bill['id']}")
    assert [x["id"] for x in _credit_lines(after)] == [discount["id"]]
    assert (after["balance_due"], after["status"]) == (10000, "open")
    left = _package(owner, package["id"])
    assert (left["sessions_used"], left["sessions_remaining"], left["lot_remaining"]) == (1, 3, 30000)
    assert owner.credit_balance(client["id"]) == 30000


def test_a_partial_refund_of_the_session_line_keeps_the_session_used(owner: Api) -> None:
    """Rule 8: refunding part of a `client_credit` line returns that part to its lot; the session is used
    while its line still holds some of the package's money, and `sessions_remaining` counts whole shares."""
    client = owner.client("Paula Partial")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    bill = _session(owner, client["id"], fee=15000)
    [drawn], [discount] = _split(bill)

    owner.post(f"/bills/{bill['id']}/lines/{drawn['id']}/refund", {"amount": 4000}, expect=200)

    after = owner.get(f"/bills/{bill['id']}")
    assert {x["id"]: x["amount"] for x in after["lines"]} == {drawn["id"]: 6000, discount["id"]: 5000}
    assert (after["balance_due"], after["status"]) == (4000, "open")
    left = _package(owner, package["id"])
    assert (left["sessions_used"], left["lot_remaining"], left["sessions_remaining"]) == (1, 34000, 3)

    owner.post(f"/bills/{bill['id']}/lines/{drawn['id']}/refund", {}, expect=200)
    assert _package(owner, package["id"]) == package
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 15000


def test_a_canceled_session_gives_its_package_session_back(owner: Api) -> None:
    """Rule 6: an appointment set to `canceled` bills only the `fee` given; what the client paid beyond it
    is freed (client_credit lines first, back to their lots)."""
    client = owner.client("Cleo Cancel")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    appointment = _appointment(owner, client["id"], 15000)
    bill = _bill(owner, client["id"], appointment)
    assert _package(owner, package["id"])["sessions_remaining"] == 3

    owner.post(f"/appointments/{appointment}/status", {"status": "canceled", "fee": 0}, expect=200)

    after = owner.get(f"/bills/{bill['id']}")
    assert (after["balance_due"], after["status"]) == (0, "void")
    assert all(x["amount"] == 0 for x in _credit_lines(after))
    assert _package(owner, package["id"]) == package
    assert owner.credit_balance(client["id"]) == 40000


def test_insurance_lowering_the_copay_gives_the_package_its_money_back(owner: Api) -> None:
    """Rule 5: what the client has paid beyond the new responsibility comes off the bill: client_credit
    lines first (back to their lots). A session never draws more than the item's client responsibility."""
    client = owner.client("Ina Insured", billing="insurance", copay=3000)
    package = _sell(owner, client["id"], sessions=4, price=40000)
    bill = _session(owner, client["id"], fee=10000)
    [drawn], discounts = _split(bill)
    assert (drawn["amount"], discounts, bill["balance_due"]) == (3000, [], 0)
    item = bill["items"][0]

    body = {"item_id": item["id"], "payer": "BRHP1", "paid": 10000, "patient_responsibility": 0, "adjustments": []}
    owner.post(f"/bills/{bill['id']}/insurance-payments", body, expect=200)

    after = owner.get(f"/bills/{bill['id']}")
    assert ([x["amount"] for x in _credit_lines(after)], after["balance_due"], after["status"]) == ([0], 0, "paid")
    assert _package(owner, package["id"]) == package
    assert owner.credit_balance(client["id"]) == 40000


def test_one_bill_of_several_sessions_draws_one_package_session_each(owner: Api) -> None:
    """… draws one session from the client's oldest package with sessions left, for each session."""
    client = owner.client("Sam Several")
    package = _sell(owner, client["id"], sessions=2, price=20000)

    bill = _bill(owner, client["id"], *(_appointment(owner, client["id"], 15000) for _ in range(3)))

    deducted, discounts = _split(bill)
    assert sorted(x["amount"] for x in deducted) == [10000, 10000]
    assert sorted(x["amount"] for x in discounts) == [5000, 5000]
    assert (bill["balance_due"], bill["status"]) == (15000, "open")
    after = _package(owner, package["id"])
    assert (after["sessions_used"], after["sessions_remaining"], after["lot_remaining"]) == (2, 0, 0)


def test_a_refund_of_the_package_payment_lowers_the_sessions_remaining(owner: Api) -> None:
    """A package's lot is refundable like any credit (rule 7); `sessions_remaining` is always the number
    of whole session shares left in the lot. Credit of that payment already spent is not refundable."""
    client = owner.client("Ria Rule7")
    package = _sell(owner, client["id"], sessions=4, price=40000)
    _session(owner, client["id"], fee=15000)

    refund = owner.post(f"/payments/{package['payment_id']}/refunds", {"amount": 15000}, expect=201)

    assert refund["from_credit"] == 15000
    after = _package(owner, package["id"])
    assert (after["sessions_used"], after["lot_remaining"], after["sessions_remaining"]) == (1, 15000, 1)
    _error(
        _send(owner, "POST", f"/payments/{package['payment_id']}/refunds", {"amount": 15001}), 422, "exceeds_refundable"
    )

    last = _session(owner, client["id"], fee=15000)
    drawn, discounts = _split(last)
    # The last session left draws its own share, the rest of the fee a discount; what the lot still
    # holds is no whole share: it stays the client's credit, refundable.
    assert ([x["amount"] for x in drawn], [x["amount"] for x in discounts]) == ([10000], [5000])
    assert _package(owner, package["id"])["sessions_remaining"] == 0
    assert owner.credit_balance(client["id"]) == 5000
    owner.post(f"/payments/{package['payment_id']}/refunds", {"amount": 5000}, expect=201)
    assert owner.credit_balance(client["id"]) == 0


def test_an_overpaid_package_refund_takes_the_package_lot_first(owner: Api) -> None:
    """A payment refund takes that payment's own remaining lots oldest first."""
    client = owner.client("Orla Overrefund")
    package = _sell(owner, client["id"], sessions=4, price=40000, amount=45000)

    owner.post(f"/payments/{package['payment_id']}/refunds", {"amount": 10000}, expect=201)

    after = _package(owner, package["id"])
    assert (after["lot_remaining"], after["sessions_remaining"]) == (30000, 3)
    assert sorted(_lots(owner, client["id"]).values()) == [("overpayment", 5000), ("package", 30000)]


# --- households ---------------------------------------------------------------------------------


def test_a_household_shows_its_members_and_their_totals(owner: Api) -> None:
    """`POST /households` `name, client_ids, share_credit` → 201 household; `GET /households/{id}` → `id,
    name, members: [{client_id, name, credit_balance, balance_due}], credit_balance, balance_due`."""
    parent, child = owner.client("Hal Parent"), owner.client("Ivy Child")
    owner.prepay(parent["id"], "cash", 7000)
    _sell(owner, child["id"], sessions=2, price=20000)
    owner.session_bill(child["id"], 15000, apply_available_credit=False)

    household = _household(owner, [parent["id"], child["id"]])

    assert set(household) >= HOUSEHOLD_KEYS, household
    assert (household["name"], household["share_credit"]) == ("The Rivera family", True)
    members = {m["client_id"]: m for m in household["members"]}
    assert all(set(m) >= MEMBER_KEYS for m in household["members"])
    assert {k: (m["name"], m["credit_balance"], m["balance_due"], m["package_credit"]) for k, m in members.items()} == {
        parent["id"]: ("Hal Parent", 7000, 0, 0),
        child["id"]: ("Ivy Child", 20000, 15000, 20000),
    }
    assert (household["credit_balance"], household["balance_due"], household["shared_credit"]) == (27000, 15000, 7000)
    assert owner.get(f"/households/{household['id']}") == household


def test_a_client_belongs_to_at_most_one_household(owner: Api) -> None:
    """A client belongs to at most one household (409 `already_in_household`)."""
    a, b, c = owner.client("Ann One"), owner.client("Ben Two"), owner.client("Cal Three")
    first = _household(owner, [a["id"]])

    _error(
        _send(owner, "POST", "/households", {"name": "Again", "client_ids": [b["id"], a["id"]]}),
        409,
        "already_in_household",
    )
    added = owner.post(f"/households/{first['id']}/members", {"client_id": b["id"]}, expect=201)
    assert sorted(m["client_id"] for m in added["members"]) == sorted([a["id"], b["id"]])
    second = _household(owner, [c["id"]])
    _error(
        _send(owner, "POST", f"/households/{second['id']}/members", {"client_id": b["id"]}), 409, "already_in_household"
    )
    _error(
        _send(owner, "POST", f"/households/{first['id']}/members", {"client_id": a["id"]}), 409, "already_in_household"
    )

    assert [m["client_id"] for m in owner.get(f"/households/{second['id']}")["members"]] == [c["id"]]
    assert len(owner.get(f"/households/{first['id']}")["members"]) == 2


def test_a_household_names_each_client_once_and_someone(owner: Api) -> None:
    """`POST /households` `name, client_ids, share_credit` (bool): a household of at least one client,
    each named once; otherwise 422 and no household is made."""
    a = owner.client("Dup Dana")
    for body in (
        {"name": "Twice", "client_ids": [a["id"], a["id"]]},
        {"name": "Nobody", "client_ids": []},
        {"name": "", "client_ids": [a["id"]]},
        {"name": "Maybe", "client_ids": [a["id"]], "share_credit": "yes"},
    ):
        _error(_send(owner, "POST", "/households", body), 422, "validation_error")
    assert _household(owner, [a["id"]])["members"][0]["client_id"] == a["id"]


def test_the_openapi_document_declares_the_status_each_new_post_answers(app: FastAPI) -> None:
    """201 for `POST /clients/{id}/packages`, `POST /households` and `POST /households/{id}/members`: what
    the routes answer is what the OpenAPI document says."""
    paths = app.openapi()["paths"]
    for path in ("/clients/{client_id}/packages", "/households", "/households/{household_id}/members"):
        responses = paths[API + path]["post"]["responses"]
        assert "201" in responses, (path, sorted(responses))
        assert "200" not in responses, (path, sorted(responses))


def test_a_members_bill_draws_its_own_lots_first_then_the_others_oldest_first(owner: Api) -> None:
    """With `share_credit` true, a member's bill that applies credit draws first from that member's lots,
    then from the other members' lots, oldest first; each `lots` entry names its `client_id`."""
    parent, sibling, child = owner.client("Pam Parent"), owner.client("Sid Sibling"), owner.client("Kit Child")
    owner.prepay(parent["id"], "cash", 6000)
    owner.prepay(sibling["id"], "cash", 8000)
    owner.prepay(child["id"], "cash", 3000)
    _household(owner, [parent["id"], sibling["id"], child["id"]])

    bill = _session(owner, child["id"], fee=10000)

    [line] = _split(bill)[0]
    assert {lot["client_id"]: lot["amount"] for lot in line["lots"]} == {
        child["id"]: 3000,
        parent["id"]: 6000,
        sibling["id"]: 1000,
    }
    assert len(line["lots"]) == 3
    assert (bill["balance_due"], bill["status"]) == (0, "paid")
    assert [owner.credit_balance(c["id"]) for c in (parent, sibling, child)] == [0, 7000, 0]


def test_a_partial_refund_of_a_shared_line_returns_to_the_lot_drawn_last(owner: Api) -> None:
    """Credit going back to lots (a refunded credit line …) returns to the lots it came from, the most
    recently drawn first."""
    parent, child = owner.client("Pip Parent"), owner.client("Kay Child")
    owner.prepay(parent["id"], "cash", 6000)
    owner.prepay(child["id"], "cash", 3000)
    _household(owner, [parent["id"], child["id"]])
    bill = _session(owner, child["id"], fee=9000)
    [line] = _split(bill)[0]
    drawn = [(lot["client_id"], lot["amount"]) for lot in line["lots"]]
    # The lots in the order drawn: the member's own (newer) lot first, then the parent's.
    assert drawn == [(child["id"], 3000), (parent["id"], 6000)]
    read_back = next(x for x in owner.get(f"/bills/{bill['id']}")["lines"] if x["id"] == line["id"])
    assert [(lot["client_id"], lot["amount"]) for lot in read_back["lots"]] == drawn

    owner.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", {"amount": 1000}, expect=200)

    assert (owner.credit_balance(parent["id"]), owner.credit_balance(child["id"])) == (1000, 0)


def test_apply_credit_and_a_credit_payment_share_a_households_credit(owner: Api) -> None:
    """A member's bill that applies credit (apply-credit, a client_credit payment) draws on the others' lots."""
    parent, child = owner.client("Paz Parent"), owner.client("Cy Child")
    owner.prepay(parent["id"], "cash", 10000)
    _household(owner, [parent["id"], child["id"]])
    bill = _session(owner, child["id"], fee=15000, apply=False)

    line = owner.post(f"/bills/{bill['id']}/apply-credit", {"amount": 4000}, expect=201)
    paid = owner.pay(bill["id"], "client_credit", 6000, deduct_from_credit_balance=True)

    assert [(lot["client_id"], lot["amount"]) for lot in line["lots"]] == [(parent["id"], 4000)]
    assert [(lot["client_id"], lot["amount"]) for lot in paid["lots"]] == [(parent["id"], 6000)]
    assert owner.credit_balance(parent["id"]) == 0
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 5000
    body = {"type": "client_credit", "amount": 1000, "deduct_from_credit_balance": True}
    _error(_send(owner, "POST", f"/bills/{bill['id']}/payments", body), 422, "insufficient_credit")


def test_refunding_a_shared_line_returns_the_credit_to_the_members_lot(owner: Api) -> None:
    """Rule 8: refunding a `client_credit` line returns the amount … into the lots it came from."""
    parent, child = owner.client("Pol Parent"), owner.client("Cat Child")
    owner.prepay(parent["id"], "cash", 15000)
    parent_lot = next(iter(_lots(owner, parent["id"])))
    _household(owner, [parent["id"], child["id"]])
    bill = _session(owner, child["id"], fee=15000)
    [line] = _split(bill)[0]
    assert owner.credit_balance(parent["id"]) == 0

    owner.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", {}, expect=200)

    assert _lots(owner, parent["id"]) == {parent_lot: ("prepayment", 15000)}
    assert owner.credit_balance(child["id"]) == 0
    after = owner.get(f"/bills/{bill['id']}")
    assert (after["balance_due"], after["status"]) == (15000, "open")


def test_without_share_credit_a_members_bill_draws_only_its_own_credit(owner: Api) -> None:
    """`share_credit` false: each member's bills spend only that member's credit."""
    parent, child = owner.client("Nan Parent"), owner.client("Ned Child")
    owner.prepay(parent["id"], "cash", 15000)
    owner.prepay(child["id"], "cash", 1000)
    household = _household(owner, [parent["id"], child["id"]], share_credit=False)

    bill = _session(owner, child["id"], fee=15000)

    assert [(lot["client_id"], lot["amount"]) for x in _split(bill)[0] for lot in x["lots"]] == [(child["id"], 1000)]
    assert bill["balance_due"] == 14000
    assert owner.credit_balance(parent["id"]) == 15000
    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit"), 422, "insufficient_credit")
    assert owner.get(f"/households/{household['id']}")["shared_credit"] == 0


def test_another_members_package_is_not_shared(owner: Api) -> None:
    """A package's lot pays only its own sessions, in a household too."""
    parent, child = owner.client("Pia Parent"), owner.client("Cole Child")
    package = _sell(owner, parent["id"], sessions=4, price=40000)
    _household(owner, [parent["id"], child["id"]])

    bill = _session(owner, child["id"], fee=15000)

    assert (_credit_lines(bill), bill["balance_due"]) == ([], 15000)
    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit"), 422, "insufficient_credit")
    assert _package(owner, package["id"]) == package


# --- events -------------------------------------------------------------------------------------


def test_a_package_sale_and_a_session_drawn_write_credit_events(owner: Api) -> None:
    """`credit.created` (a lot: its `source`), `credit.applied` (to a bill). Each credit event's `data` has
    `client_id, amount, lot_id, bill_id?, payment_id?` and `credit_balance`."""
    client = owner.client("Eve Events")
    package = _sell(owner, client["id"], sessions=4, price=40000, amount=42000)

    bill = _session(owner, client["id"], fee=15000)

    created = {e["data"]["lot_id"]: e["data"] for e in _events(owner, "credit.created")}
    assert created[package["lot_id"]]["source"] == "package"
    assert created[package["lot_id"]]["amount"] == 40000
    assert created[package["lot_id"]]["payment_id"] == package["payment_id"]
    assert sorted(d["source"] for d in created.values()) == ["overpayment", "package"]
    applied = [e["data"] for e in _events(owner, "credit.applied")]
    assert [(d["lot_id"], d["amount"], d["bill_id"], d["client_id"]) for d in applied] == [
        (package["lot_id"], 10000, bill["id"], client["id"])
    ]
    assert applied[0]["credit_balance"] == 32000


def test_shared_credit_events_name_the_lots_owner_and_its_balance(owner: Api) -> None:
    """Each credit event's `data` has `client_id, amount, lot_id, bill_id?, payment_id?` and `credit_balance`
    (the client's balance after it): for a household member's lot, that member's."""
    parent, child = owner.client("Ezra Parent"), owner.client("Elle Child")
    owner.prepay(parent["id"], "cash", 15000)
    [parent_lot] = _lots(owner, parent["id"])
    _household(owner, [parent["id"], child["id"]])
    bill = _session(owner, child["id"], fee=15000)
    [line] = _split(bill)[0]
    owner.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", {}, expect=200)

    applied = [e["data"] for e in _events(owner, "credit.applied")]
    returned = [e["data"] for e in _events(owner, "credit.returned")]
    assert [(d["client_id"], d["lot_id"], d["amount"], d["bill_id"], d["credit_balance"]) for d in applied] == [
        (parent["id"], parent_lot, 15000, bill["id"], 0)
    ]
    assert [(d["client_id"], d["lot_id"], d["amount"], d["credit_balance"]) for d in returned] == [
        (parent["id"], parent_lot, 15000, 15000)
    ]


# --- races --------------------------------------------------------------------------------------


def _race(ledger: Ledger, bills: list[BillCreate]) -> list[str]:
    """Create ``bills`` at once, each in a thread of its own; each outcome: the bill's id or the error's code."""
    start = threading.Barrier(len(bills))

    def create(data: BillCreate) -> str:
        start.wait()
        try:
            return ledger.do(billing.create_bill, data=data).id
        except ClientLedgerError as exc:
            return exc.code

    with ThreadPoolExecutor(len(bills)) as pool:
        return list(pool.map(create, bills))


def test_two_childrens_bills_at_once_never_overspend_their_parents_credit(ledger: Ledger) -> None:
    """Rule 1: a `credit_balance` is never negative; shared credit is spent once, whichever members' bills
    (two children's, or a child's and the parent's own) are created at the same moment."""
    for round_ in range(6):
        parent = ledger.client(f"Race Parent {round_}")
        kids = [ledger.client(f"Race Kid {round_} {n}") for n in range(2)]
        ledger.household([parent.id, *(k.id for k in kids)])
        ledger.manual_credit(parent.id, 15000)
        racers = kids if round_ % 2 == 0 else [kids[0], parent]
        bills = [
            BillCreate(
                client_id=c.id, appointment_ids=[ledger.appointment(c.id, fee=15000).id], apply_available_credit=True
            )
            for c in racers
        ]

        made = [ledger.get_bill(bill_id) for bill_id in _race(ledger, bills)]

        assert sorted(b.balance_due for b in made) == [0, 15000]
        assert sorted(b.status for b in made) == ["open", "paid"]
        assert sum(line.amount for b in made for line in b.lines) == 15000
        assert ledger.get_client(parent.id).credit_balance == 0
        assert all(ledger.get_client(k.id).credit_balance == 0 for k in kids)
    assert ledger.verify() == []


def test_two_bills_at_once_draw_a_packages_last_session_once(ledger: Ledger) -> None:
    """`sessions_remaining` goes down by one for each session drawn; never below zero."""
    for round_ in range(4):
        client = ledger.client(f"Race Last {round_}")
        package = ledger.sell_package(client.id, sessions=2, price=20000, type="cash")
        ledger.bill(client.id, [ledger.appointment(client.id).id], apply_credit=True)
        bills = [
            BillCreate(
                client_id=client.id, appointment_ids=[ledger.appointment(client.id).id], apply_available_credit=True
            )
            for _ in range(2)
        ]

        made = [ledger.get_bill(bill_id) for bill_id in _race(ledger, bills)]

        [after] = ledger.packages(client.id)
        assert (after.id, after.sessions_used, after.sessions_remaining, after.lot_remaining) == (package.id, 2, 0, 0)
        assert sorted(b.balance_due for b in made) == [0, 15000]
        assert sorted(len(b.lines) for b in made) == [0, 2]
    assert ledger.verify() == []
