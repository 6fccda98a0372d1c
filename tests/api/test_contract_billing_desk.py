"""API.md v1.1 "Finding and paying", "Documents" and "Reports in the UI", read literally, over HTTP.

Each test checks sentences of the contract (quoted in its docstring) as someone who knows only
API.md would: the API's answers and the words on the pages, on every database the fixtures run.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import API, Api, new_owner
from tests.support.clock import at_moment
from tests.support.pdf import one_line, pdf_text
from tests.web.desk import signed_in

NEW_YORK = ZoneInfo("America/New_York")
BUCKETS = ("0_30", "31_60", "61_90", "over_90")
NO_BUCKETS = dict.fromkeys(BUCKETS, 0)


def _today_in_new_york() -> dt.date:
    return dt.datetime.now(NEW_YORK).date()


def _error(response: httpx.Response, status: int, code: str) -> None:
    """A refusal in the Conventions' shape: ``{"error": {"code", "message"}}``, the code and status named."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert list(body) == ["error"], body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip(), body


def _send(api: Api, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
    response: httpx.Response = api.http.request(method, API + path, json=body, headers=api.headers(**headers))
    return response


def _names(page: dict[str, Any]) -> list[str]:
    return [c["name"] for c in page["data"]]


def _open_bill(api: Api, client_id: str, fee: int = 15000) -> dict[str, Any]:
    bill: dict[str, Any] = api.session_bill(client_id, fee, apply_available_credit=False)
    return bill


def _manual_credit(api: Api, client_id: str, amount: int) -> dict[str, Any]:
    lot: dict[str, Any] = api.post(
        f"/clients/{client_id}/credits", {"amount": amount, "reason": "courtesy"}, expect=201
    )
    return lot


def _section(page: str, heading: str) -> str:
    """The HTML from the heading whose text starts with ``heading`` to the end of its section."""
    found = re.search(rf"<h[1-6][^>]*>\s*{re.escape(heading)}", page)
    assert found is not None, f"no heading {heading!r}"
    end = page.find("</section>", found.start())
    return page[found.start() : end if end != -1 else len(page)]


# --- Finding and paying: GET /clients?q=&limit&cursor ---------------------------------------------


def test_clients_are_sorted_by_name_and_q_matches_any_part_of_name_or_email_case_aside(owner: Api) -> None:
    """`GET /clients?q=&limit&cursor`: clients sorted by name; `q` matches any part of the name or the
    email, case aside. Lists return `{"data": [...], "next_cursor": ...}`."""
    owner.client("Zora Quill", email="zq@lakeside.example")
    owner.client("Anna Berg")
    owner.client("Milo Finch", email="MILO.F@Riverbend.example")
    owner.client("bella Stone", email="bella@stone.example")

    everyone = owner.get("/clients")
    assert set(everyone) >= {"data", "next_cursor"} and everyone["next_cursor"] is None
    assert _names(everyone) == sorted(_names(everyone), key=str.casefold)
    assert set(_names(everyone)) == {"Zora Quill", "Anna Berg", "Milo Finch", "bella Stone"}

    assert _names(owner.get("/clients?q=ERG")) == ["Anna Berg"]  # the middle of a name, case aside
    assert _names(owner.get("/clients?q=riverBEND")) == ["Milo Finch"]  # part of an email
    assert _names(owner.get("/clients?q=lakeside.ex")) == ["Zora Quill"]
    assert _names(owner.get("/clients?q=STONE")) == ["bella Stone"]  # name and email both match: once
    assert _names(owner.get("/clients?q=a%20BE")) == ["Anna Berg"]  # a part across the space
    assert _names(owner.get("/clients?q=o")) == sorted(["Zora Quill", "Milo Finch", "bella Stone"], key=str.casefold)
    assert owner.get("/clients?q=no-such-person") == {"data": [], "next_cursor": None}


def test_q_matches_names_with_accented_letters_case_aside(owner: Api) -> None:
    """`q` matches any part of the name or the email, case aside: "MÜLLER" finds "Élise Müller"."""
    owner.client("Élise Müller")
    owner.client("Bo Other")

    assert _names(owner.get("/clients?q=müller")) == ["Élise Müller"]
    assert _names(owner.get("/clients?q=MÜLLER")) == ["Élise Müller"]
    assert _names(owner.get("/clients?q=élise")) == ["Élise Müller"]
    assert _names(owner.get("/clients?q=ÉLISE")) == ["Élise Müller"]


def _alphabetical(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def test_clients_with_accented_names_sort_among_their_letter(owner: Api) -> None:
    """Clients sorted by name: "Élise" comes with the E's, not after "Zed"."""
    for name in ("Zed Young", "Émile Ba", "Eve Cole", "Ada Lane"):
        owner.client(name)

    assert _names(owner.get("/clients")) == sorted(["Zed Young", "Émile Ba", "Eve Cole", "Ada Lane"], key=_alphabetical)


def test_client_pages_follow_the_name_order_with_limit_and_cursor(owner: Api) -> None:
    """Lists take `limit` (default 50, max 200) and `cursor`; they return `{"data", "next_cursor"}`."""
    names = [f"Pager {n:02d}" for n in range(53)]
    for name in reversed(names):
        owner.client(name)
    owner.client("Someone Else")

    default = owner.get("/clients?q=pager")
    assert len(default["data"]) == 50 and default["next_cursor"] is not None
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = owner.get("/clients?q=PAGER&limit=20" + (f"&cursor={cursor}" if cursor else ""))
        assert set(page) >= {"data", "next_cursor"} and len(page["data"]) <= 20
        seen += _names(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    assert _names(owner.get("/clients?q=pager&limit=200")) == names
    assert owner.get("/clients?q=pager&limit=3")["data"] == default["data"][:3]


def test_a_limit_above_200_is_never_more_than_200(owner: Api) -> None:
    """`limit` (max 200): asking for more is refused in the error shape or answered with at most 200."""
    owner.client("Only One")
    r = _send(owner, "GET", "/clients?limit=201")
    if r.status_code == 200:
        assert len(r.json()["data"]) <= 200
    else:
        _error(r, 422, "validation_error")


# --- Finding and paying: bill numbers -------------------------------------------------------------


def test_bills_are_numbered_1_2_3_per_practice_in_creation_order(owner: Api, http: TestClient, db: Database) -> None:
    """Bills have `number`: 1, 2, 3… per practice, in creation order."""
    ada, bo = owner.client("Ada"), owner.client("Bo")
    other = new_owner(http, db)
    theirs = other.client("Cy")

    first = owner.session_bill(ada["id"], 1000)
    elsewhere = other.session_bill(theirs["id"], 1000)
    second = owner.session_bill(bo["id"], 1000)
    third = owner.session_bill(ada["id"], 1000)

    assert [first["number"], second["number"], third["number"]] == [1, 2, 3]
    assert [owner.get(f"/bills/{b['id']}")["number"] for b in (first, second, third)] == [1, 2, 3]
    assert elsewhere["number"] == 1
    assert other.session_bill(theirs["id"], 1000)["number"] == 2


# --- Finding and paying: POST /bills/{id}/apply-credit --------------------------------------------


def test_apply_credit_by_default_applies_min_of_credit_and_balance_due_as_a_client_credit_line(owner: Api) -> None:
    """`POST /bills/{id}/apply-credit` `amount?` (default `min(credit_balance, balance_due)`) → 201 the
    `client_credit` line it added."""
    short = owner.client("Short Credit")
    owner.prepay(short["id"], "cash", 4000)
    small = _open_bill(owner, short["id"], 15000)
    rich = owner.client("Rich Credit")
    owner.prepay(rich["id"], "cash", 50000)
    big = _open_bill(owner, rich["id"], 15000)

    line = owner.post(f"/bills/{small['id']}/apply-credit", expect=201)
    capped = owner.post(f"/bills/{big['id']}/apply-credit", {}, expect=201)

    assert (line["type"], line["amount"]) == ("client_credit", 4000)
    assert (capped["type"], capped["amount"]) == ("client_credit", 15000)
    assert set(line) >= {"id", "type", "amount", "payment_id", "deduct_from_credit_balance", "lots"}
    assert line["deduct_from_credit_balance"] is True
    assert sum(d["amount"] for d in line["lots"]) == 4000
    assert line in owner.get(f"/bills/{small['id']}")["lines"]
    assert owner.get(f"/bills/{small['id']}")["balance_due"] == 11000
    assert owner.credit_balance(short["id"]) == 0
    after = owner.get(f"/bills/{big['id']}")
    assert (after["balance_due"], after["status"]) == (0, "paid")
    assert owner.credit_balance(rich["id"]) == 35000


def test_apply_credit_with_an_amount_draws_the_oldest_lot_first(owner: Api) -> None:
    """… the `client_credit` line it added (oldest lot first)."""
    client = owner.client("Lots Lee")
    oldest = _manual_credit(owner, client["id"], 3000)
    newer = _manual_credit(owner, client["id"], 4000)
    bill = _open_bill(owner, client["id"], 15000)

    line = owner.post(f"/bills/{bill['id']}/apply-credit", {"amount": 5000}, expect=201)

    assert (line["type"], line["amount"]) == ("client_credit", 5000)
    assert [(d["lot_id"], d["amount"]) for d in line["lots"]] == [(oldest["id"], 3000), (newer["id"], 2000)]
    remaining = {lot["id"]: lot["remaining"] for lot in owner.get(f"/clients/{client['id']}/credits")["lots"]}
    assert remaining == {oldest["id"]: 0, newer["id"]: 2000}
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 10000


def test_apply_credit_refuses_as_rule_3_and_changes_nothing(owner: Api) -> None:
    """`insufficient_credit`, `exceeds_balance_due` as rule 3: neither may exceed `balance_due`
    (`exceeds_balance_due`, checked before `insufficient_credit`)."""
    client = owner.client("Refused Rae")
    owner.prepay(client["id"], "cash", 2000)
    bill = _open_bill(owner, client["id"], 10000)
    broke = owner.client("No Credit Ned")
    broke_bill = _open_bill(owner, broke["id"], 10000)
    path = f"/bills/{bill['id']}/apply-credit"

    _error(_send(owner, "POST", path, {"amount": 2001}), 422, "insufficient_credit")
    _error(_send(owner, "POST", path, {"amount": 10001}), 422, "exceeds_balance_due")  # over both: balance first
    _error(_send(owner, "POST", f"/bills/{broke_bill['id']}/apply-credit", {"amount": 100}), 422, "insufficient_credit")
    _error(_send(owner, "POST", "/bills/bill_nobody/apply-credit", {"amount": 100}), 404, "not_found")

    assert owner.get(f"/bills/{bill['id']}")["lines"] == []
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 10000
    assert owner.credit_balance(client["id"]) == 2000


def test_apply_credit_on_a_void_bill_is_409_bill_void(owner: Api) -> None:
    """A bill on which nothing is billed any more is `void`; a payment of any kind on it is 409 `bill_void`."""
    client = owner.client("Void Vic")
    owner.prepay(client["id"], "cash", 3000)
    appointment = owner.appointment(client["id"], 10000)
    bill = owner.bill(client["id"], [appointment["id"]], apply_available_credit=False)
    owner.post(f"/appointments/{appointment['id']}/status", {"status": "canceled"}, expect=200)
    assert owner.get(f"/bills/{bill['id']}")["status"] == "void"

    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit"), 409, "bill_void")
    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit", {"amount": 100}), 409, "bill_void")
    assert owner.credit_balance(client["id"]) == 3000


@pytest.mark.parametrize("amount", [10.0, 1e3, 0, -100, "100"])
def test_apply_credit_amount_is_whole_positive_cents(owner: Api, amount: object) -> None:
    """Money is an integer number of cents; a number with a fraction or exponent part (`10.0` too) is
    422 `validation_error`. Amounts in requests are > 0."""
    client = owner.client("Cents Cass")
    owner.prepay(client["id"], "cash", 5000)
    bill = _open_bill(owner, client["id"])

    _error(_send(owner, "POST", f"/bills/{bill['id']}/apply-credit", {"amount": amount}), 422, "validation_error")
    assert owner.credit_balance(client["id"]) == 5000


def test_apply_credit_replays_an_idempotency_key_and_moves_credit_once(owner: Api) -> None:
    """Every POST that moves money accepts `Idempotency-Key`: a retry with the same key and body returns
    the first response (same status, same body) and moves no money twice; the same key with a different
    body is 409 `idempotency_key_reused`."""
    client = owner.client("Retry Ray")
    owner.prepay(client["id"], "cash", 9000)
    bill = _open_bill(owner, client["id"])
    path = f"/bills/{bill['id']}/apply-credit"

    first = _send(owner, "POST", path, {"amount": 4000}, **{"Idempotency-Key": "apply-once"})
    again = _send(owner, "POST", path, {"amount": 4000}, **{"Idempotency-Key": "apply-once"})
    other_body = _send(owner, "POST", path, {"amount": 1000}, **{"Idempotency-Key": "apply-once"})
    no_body = _send(owner, "POST", path, **{"Idempotency-Key": "apply-default"})
    no_body_again = _send(owner, "POST", path, **{"Idempotency-Key": "apply-default"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    _error(other_body, 409, "idempotency_key_reused")
    assert no_body.status_code == no_body_again.status_code == 201 and no_body_again.json() == no_body.json()
    assert no_body.json()["amount"] == 5000
    assert owner.credit_balance(client["id"]) == 0
    assert len(owner.get(f"/bills/{bill['id']}")["lines"]) == 2
    other_bill = _open_bill(owner, client["id"])
    other_path = f"/bills/{other_bill['id']}/apply-credit"
    _error(
        _send(owner, "POST", other_path, {"amount": 4000}, **{"Idempotency-Key": "apply-once"}),
        409,
        "idempotency_key_reused",
    )
    line_path = f"/bills/{bill['id']}/lines/{first.json()['id']}"
    _error(_send(owner, "DELETE", line_path, **{"Idempotency-Key": "apply-once"}), 409, "idempotency_key_reused")
    assert len(owner.get(f"/bills/{bill['id']}")["lines"]) == 2


def test_apply_credit_idempotency_keys_are_scoped_to_the_practice(owner: Api, http: TestClient, db: Database) -> None:
    """Keys are scoped to the practice."""
    other = new_owner(http, db)
    bills = []
    for api in (owner, other):
        client = api.client("Scoped Sam")
        api.prepay(client["id"], "cash", 3000)
        bills.append((api, _open_bill(api, client["id"]), client["id"]))

    answers = [
        _send(api, "POST", f"/bills/{bill['id']}/apply-credit", {"amount": 1000}, **{"Idempotency-Key": "shared-key"})
        for api, bill, _ in bills
    ]

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert [api.credit_balance(cid) for api, _, cid in bills] == [2000, 2000]


def test_an_apply_credit_replay_returns_the_first_body_even_after_the_line_changed(owner: Api) -> None:
    """A retry with the same key and body returns the first response (same status, same body) and moves
    no money twice."""
    client = owner.client("Replay Rene")
    owner.prepay(client["id"], "cash", 6000)
    bill = _open_bill(owner, client["id"])
    path = f"/bills/{bill['id']}/apply-credit"
    first = _send(owner, "POST", path, {"amount": 5000}, **{"Idempotency-Key": "apply-then-refund"})
    assert first.status_code == 201, first.text
    owner.post(f"/bills/{bill['id']}/lines/{first.json()['id']}/refund", {"amount": 2000}, expect=200)

    again = _send(owner, "POST", path, {"amount": 5000}, **{"Idempotency-Key": "apply-then-refund"})

    assert (again.status_code, again.json()) == (201, first.json())
    assert owner.credit_balance(client["id"]) == 3000
    assert [line["amount"] for line in owner.get(f"/bills/{bill['id']}")["lines"]] == [3000]


def test_apply_credit_stores_a_business_refusal_but_not_a_validation_error(owner: Api) -> None:
    """A request refused by validation (422 `validation_error`) is not stored; any other answer, a
    business-rule 4xx included, is stored and replayed."""
    client = owner.client("Stored Sue")
    owner.prepay(client["id"], "cash", 1000)
    bill = _open_bill(owner, client["id"])
    path = f"/bills/{bill['id']}/apply-credit"

    refused = _send(owner, "POST", path, {"amount": 2000}, **{"Idempotency-Key": "short-1"})
    _error(refused, 422, "insufficient_credit")
    _manual_credit(owner, client["id"], 5000)  # now there would be enough
    replayed = _send(owner, "POST", path, {"amount": 2000}, **{"Idempotency-Key": "short-1"})
    assert replayed.status_code == 422 and replayed.json() == refused.json()

    _error(_send(owner, "POST", path, {"amount": 20.5}, **{"Idempotency-Key": "typo-1"}), 422, "validation_error")
    fixed = _send(owner, "POST", path, {"amount": 2000}, **{"Idempotency-Key": "typo-1"})
    assert fixed.status_code == 201, fixed.text
    assert owner.credit_balance(client["id"]) == 4000


# --- Finding and paying: the practice's time zone -------------------------------------------------


def test_time_zone_defaults_to_new_york_and_an_unknown_name_is_refused(owner: Api) -> None:
    """The practice has `time_zone` (IANA name, default `America/New_York`; `PATCH /practice`; an unknown
    name is 422 `validation_error`)."""
    assert owner.get("/practice")["time_zone"] == "America/New_York"

    changed = owner.call("PATCH", "/practice", {"time_zone": "Europe/Berlin"}, expect=200)
    assert changed["time_zone"] == "Europe/Berlin"
    assert owner.get("/practice")["time_zone"] == "Europe/Berlin"
    for unknown in ("Mars/Olympus_Mons", "Europe/Atlantis", "not a zone", "", 5):
        _error(_send(owner, "PATCH", "/practice", {"time_zone": unknown}), 422, "validation_error")
    assert owner.get("/practice")["time_zone"] == "Europe/Berlin"


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_day_reports_answer_for_by_default_is_today_in_the_practice_time_zone(owner: Api, zone: str) -> None:
    """Every day a person sees (`as_of`, aging) is a day in that time zone."""
    owner.call("PATCH", "/practice", {"time_zone": zone}, expect=200)
    before = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    aging, liability = owner.get("/reports/aging")["as_of"], owner.get("/reports/credit-balances")["as_of"]
    after = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    assert aging in {before, after} and liability in {before, after}


def test_as_of_means_the_end_of_that_day_in_the_practice_time_zone(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every day a person sees or sends (`as_of`, statements) is a day in that time zone; `as_of` means
    the end of that day there. Timestamps in JSON stay UTC."""
    with at_moment(monkeypatch, dt.datetime(2026, 2, 20, 15)):
        client = owner.client("Night Owl")
    # 2026-03-02 03:30 UTC is 22:30 on 2026-03-01 in New York; 05:30 UTC is 00:30 on 2026-03-02 there.
    with at_moment(monkeypatch, dt.datetime(2026, 3, 2, 3, 30)):
        late = _manual_credit(owner, client["id"], 1000)
    with at_moment(monkeypatch, dt.datetime(2026, 3, 2, 5, 30)):
        _manual_credit(owner, client["id"], 2000)

    def liability(day: str) -> int:
        return int(owner.get(f"/reports/credit-balances?as_of={day}")["total"])

    assert liability("2026-02-28") == 0
    assert liability("2026-03-01") == 1000
    assert liability("2026-03-02") == 3000
    created = dt.datetime.fromisoformat(late["created_at"].replace("Z", "+00:00"))
    assert created.utcoffset() == dt.timedelta(0)
    assert created.replace(tzinfo=None) == dt.datetime(2026, 3, 2, 3, 30)
    journal = owner.get("/reports/journal?from=2026-03-01&to=2026-03-01")["data"]
    assert len(journal) == 1  # the 22:30 credit; the 00:30 one is on the next day there
    assert len(owner.get("/reports/journal?from=2026-03-02&to=2026-03-02")["data"]) == 1
    statement = owner.get(f"/clients/{client['id']}/statement?from=2026-03-01&to=2026-03-01")
    assert [e["credit"] for e in statement["entries"]] == [1000]
    assert [e["date"] for e in statement["entries"]] == ["2026-03-01"]


# --- Documents -------------------------------------------------------------------------------------


def test_a_statement_in_json_has_the_contracts_keys_and_every_movement_in_the_range(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`GET /clients/{id}/statement?from=&to=`: JSON `{client_id, from, to, opening_balance_due, entries:
    [{date, description, charges, payments, credit}], closing_balance_due, credit_balance}`: every bill,
    payment, refund and credit movement of the client in the range."""
    with at_moment(monkeypatch, dt.datetime(2026, 4, 1, 15)):
        client = owner.client("Stella Statement")
        cid = client["id"]
        owner.session_bill(cid, 9000, apply_available_credit=False)  # before the range: opening balance
    with at_moment(monkeypatch, dt.datetime(2026, 4, 10, 15)):
        bill = owner.session_bill(cid, 10000, apply_available_credit=False)  # a bill
        card = owner.pay(bill["id"], "card", 12000)  # a payment, $20.00 of it to credit
        owner.post(f"/payments/{card['payment_id']}/refunds", {"amount": 500}, expect=201)  # a refund
        lot = _manual_credit(owner, cid, 3000)  # a credit movement
        owner.post(f"/clients/{cid}/credits/{lot['id']}/remove", {"amount": 1000}, expect=200)  # another
    with at_moment(monkeypatch, dt.datetime(2026, 4, 20, 15)):
        owner.prepay(cid, "cash", 700)  # after the range

    s = owner.get(f"/clients/{cid}/statement?from=2026-04-05&to=2026-04-15")

    assert set(s) >= {
        "client_id",
        "from",
        "to",
        "opening_balance_due",
        "entries",
        "closing_balance_due",
        "credit_balance",
    }
    assert (s["client_id"], s["from"], s["to"]) == (cid, "2026-04-05", "2026-04-15")
    assert s["opening_balance_due"] == 9000
    for entry in s["entries"]:
        assert set(entry) >= {"date", "description", "charges", "payments", "credit"}
        assert entry["date"] == "2026-04-10" and entry["description"].strip()
    moves = [(e["charges"], e["payments"], e["credit"]) for e in s["entries"]]
    assert (10000, 0, 0) in moves  # the bill
    assert (0, 10000, 2000) in moves or {(0, 10000, 0), (0, 0, 2000)} <= set(moves)  # the payment
    assert (0, 0, -500) in moves  # the refund, from the payment's credit first (rule 7)
    assert (0, 0, 3000) in moves and (0, 0, -1000) in moves  # the credit added, and removed
    charges = sum(e["charges"] for e in s["entries"])
    payments = sum(e["payments"] for e in s["entries"])
    assert (charges, payments) == (10000, 10000)
    assert s["opening_balance_due"] + charges - payments == s["closing_balance_due"] == 9000
    assert sum(e["credit"] for e in s["entries"]) == 2000 - 500 + 3000 - 1000
    assert s["credit_balance"] == 3500  # the client's credit at the end of the range, before the prepayment
    assert owner.credit_balance(cid) == 4200
    as_html = _send(owner, "GET", f"/clients/{cid}/statement?from=2026-04-05&to=2026-04-15", Accept="text/html")
    assert as_html.status_code == 200 and as_html.headers["content-type"].startswith("application/json")
    assert as_html.json() == s


def test_documents_are_pdfs_naming_practice_and_client_with_amounts_as_on_the_pages(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `Accept: application/pdf` a PDF (`application/pdf`), amounts written as on the pages
    (`$1,234.56`); the statement names the practice and the client; `GET /payments/{id}/receipt` a PDF
    receipt (practice, client, date, method, amount, what it paid, what went to credit, refunds);
    `GET /clients/{id}/superbill` a PDF superbill (practice name, `npi` and `tax_id` from `PATCH /practice`;
    client; each session's date, service code, fee and what was paid). A clinician reads all of these."""
    practice = owner.call("PATCH", "/practice", {"npi": "1234567893", "tax_id": "12-3456789"}, expect=200)
    assert (practice["npi"], practice["tax_id"]) == ("1234567893", "12-3456789")
    assert (owner.get("/practice")["npi"], owner.get("/practice")["tax_id"]) == ("1234567893", "12-3456789")
    practice_name = practice["name"]
    client = owner.client("Penelope Pdf")
    cid = client["id"]
    appointment = owner.appointment(cid, fee=123456, date="2026-05-04")
    with at_moment(monkeypatch, dt.datetime(2026, 5, 6, 2, 30)):  # 22:30 on 2026-05-05 in New York
        bill = owner.bill(cid, [appointment["id"]], apply_available_credit=False)
        cash = owner.pay(bill["id"], "cash", 150000)  # pays $1,234.56, $265.44 to credit
        owner.post(f"/payments/{cash['payment_id']}/refunds", {"amount": 1000}, expect=201)
    part = owner.bill(cid, [owner.appointment(cid, fee=98765, date="2026-05-11")["id"]], apply_available_credit=False)
    owner.pay(part["id"], "check", 4321)  # $43.21 of $987.65 paid
    outside = owner.bill(cid, [owner.appointment(cid, fee=55500, date="2026-06-20")["id"]])
    assert outside["number"] > part["number"]
    clinician = owner.login_as("clinician")

    def pdf(path: str, **headers: str) -> str:
        r = _send(clinician, "GET", path, **headers)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].split(";")[0].strip() == "application/pdf"
        assert r.content.startswith(b"%PDF")
        return one_line(pdf_text(r.content))

    statement = pdf(f"/clients/{cid}/statement", Accept="application/pdf")
    assert practice_name in statement and "Penelope Pdf" in statement
    assert "$1,234.56" in statement

    receipt = pdf(f"/payments/{cash['payment_id']}/receipt")
    assert practice_name in receipt and "Penelope Pdf" in receipt
    assert "2026-05-05" in receipt  # the practice's day
    assert "cash" in receipt.lower()
    for amount in ("$1,500.00", "$1,234.56", "$265.44", "$10.00"):
        assert amount in receipt, amount

    superbill = pdf(f"/clients/{cid}/superbill?from=2026-05-01&to=2026-05-31")
    assert practice_name in superbill and "Penelope Pdf" in superbill
    assert "1234567893" in superbill and "12-3456789" in superbill
    assert "2026-05-04" in superbill and "90834" in superbill and "$1,234.56" in superbill
    assert "2026-05-11" in superbill and "$987.65" in superbill and "$43.21" in superbill
    assert "2026-06-20" not in superbill and "$555.00" not in superbill  # outside the range


def test_a_clinician_reads_the_statement_and_aging_but_may_not_apply_credit(owner: Api) -> None:
    """Clinician reads, never moves money: 403 `forbidden` in the API."""
    client = owner.client("Role Rita")
    owner.prepay(client["id"], "cash", 3000)
    bill = _open_bill(owner, client["id"], 10000)
    clinician = owner.login_as("clinician")

    assert clinician.get(f"/clients/{client['id']}/statement")["client_id"] == client["id"]
    assert clinician.get("/reports/aging")["total"] == 10000
    assert _names(clinician.get("/clients?q=rita")) == ["Role Rita"]
    assert clinician.get(f"/bills/{bill['id']}")["number"] == bill["number"]
    _error(_send(clinician, "POST", f"/bills/{bill['id']}/apply-credit"), 403, "forbidden")
    _error(_send(clinician, "POST", f"/bills/{bill['id']}/apply-credit", {"amount": 100}), 403, "forbidden")
    _error(_send(clinician, "PATCH", "/practice", {"time_zone": "Europe/Berlin"}), 403, "forbidden")
    assert owner.credit_balance(client["id"]) == 3000 and owner.get(f"/bills/{bill['id']}")["lines"] == []
    assert owner.get("/practice")["time_zone"] == "America/New_York"


def test_another_practices_objects_are_404_on_every_new_endpoint(owner: Api, http: TestClient, db: Database) -> None:
    """Another practice's object: 404, never 403."""
    client = owner.client("Private Pat", email="pat@private.example")
    owner.prepay(client["id"], "cash", 3000)
    bill = _open_bill(owner, client["id"])
    payment = owner.pay(bill["id"], "cash", 1000)
    intruder = new_owner(http, db)

    for path in (
        f"/clients/{client['id']}/statement",
        f"/clients/{client['id']}/superbill",
        f"/payments/{payment['payment_id']}/receipt",
    ):
        _error(_send(intruder, "GET", path), 404, "not_found")
        _error(_send(intruder, "GET", path, Accept="application/pdf"), 404, "not_found")
    _error(_send(intruder, "POST", f"/bills/{bill['id']}/apply-credit"), 404, "not_found")
    _error(_send(intruder, "POST", f"/bills/{bill['id']}/apply-credit", {"amount": 100}), 404, "not_found")
    _error(_send(intruder, "GET", f"/bills/{bill['id']}"), 404, "not_found")
    for path in ("/clients/cl_nobody/statement", "/clients/cl_nobody/superbill", "/payments/pay_nobody/receipt"):
        _error(_send(owner, "GET", path), 404, "not_found")
    assert intruder.get("/clients?q=private")["data"] == []
    assert intruder.get("/reports/aging")["clients"] == []
    assert owner.credit_balance(client["id"]) == 3000


def test_without_a_token_the_new_endpoints_are_401(owner: Api) -> None:
    """Missing/invalid token: 401 (`unauthorized`)."""
    client = owner.client("Token Tam")
    bill = _open_bill(owner, client["id"])
    payment = owner.prepay(client["id"], "cash", 500)
    for method, path in (
        ("GET", "/clients?q=tam"),
        ("POST", f"/bills/{bill['id']}/apply-credit"),
        ("GET", f"/clients/{client['id']}/statement"),
        ("GET", f"/clients/{client['id']}/superbill"),
        ("GET", f"/payments/{payment['id']}/receipt"),
        ("GET", "/reports/aging"),
        ("PATCH", "/practice"),
    ):
        body: dict[str, Any] | None = {} if method != "GET" else None
        _error(owner.http.request(method, API + path, json=body), 401, "unauthorized")
        bad = {"Authorization": "Bearer clt_not-a-token"}
        _error(owner.http.request(method, API + path, json=body, headers=bad), 401, "unauthorized")
    assert owner.credit_balance(client["id"]) == 500


# --- Reports in the UI: aging ----------------------------------------------------------------------


def test_aging_has_the_contracts_shape_and_puts_each_open_bill_in_its_age_bucket(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`GET /reports/aging?as_of=`: `{as_of, buckets: {"0_30", "31_60", "61_90", "over_90"}, clients:
    [{client_id, name, balance_due, buckets}], total}` by the age of each open bill, counted from the day
    it was created (the practice's day)."""
    as_of = _today_in_new_york() - dt.timedelta(days=1)
    ada, bo = owner.client("Ada Aging"), owner.client("Bo Aging")
    placed = {0: "0_30", 30: "0_30", 31: "31_60", 60: "31_60", 61: "61_90", 90: "61_90", 91: "over_90"}
    for days, fee in zip(placed, (100, 200, 400, 800, 1600, 3200, 6400), strict=True):
        created = dt.datetime.combine(as_of - dt.timedelta(days=days), dt.time(16))  # noon-ish in New York
        with at_moment(monkeypatch, created):
            owner.session_bill(ada["id"], fee)
    with at_moment(monkeypatch, dt.datetime.combine(as_of - dt.timedelta(days=45), dt.time(16))):
        paid = owner.session_bill(bo["id"], 5000)
        part = owner.session_bill(bo["id"], 9000)
        owner.pay(paid["id"], "cash", 5000)  # a paid bill owes nothing
        owner.pay(part["id"], "cash", 2500)  # a partly paid one ages what is left
    owner.client("Cy Owes Nothing")

    report = owner.get(f"/reports/aging?as_of={as_of.isoformat()}")

    assert set(report) >= {"as_of", "buckets", "clients", "total"}
    assert report["as_of"] == as_of.isoformat()
    assert set(report["buckets"]) == set(BUCKETS)
    rows = {c["name"]: c for c in report["clients"]}
    for row in report["clients"]:
        assert set(row) >= {"client_id", "name", "balance_due", "buckets"}
        assert set(row["buckets"]) == set(BUCKETS)
        assert row["balance_due"] == sum(row["buckets"].values())
    assert rows["Ada Aging"]["client_id"] == ada["id"]
    assert rows["Ada Aging"]["buckets"] == {"0_30": 300, "31_60": 1200, "61_90": 4800, "over_90": 6400}
    assert rows["Bo Aging"]["buckets"] == {**NO_BUCKETS, "31_60": 6500}
    assert rows["Bo Aging"]["balance_due"] == 6500
    assert "Cy Owes Nothing" not in rows or rows["Cy Owes Nothing"]["balance_due"] == 0
    assert report["buckets"] == {"0_30": 300, "31_60": 7700, "61_90": 4800, "over_90": 6400}
    assert report["total"] == 19200 == sum(report["buckets"].values())


def test_aging_as_of_a_past_day_is_the_end_of_that_day(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """`as_of` means the end of that day there: a later payment has not happened yet, a later bill does
    not exist yet."""
    today = _today_in_new_york()
    client = owner.client("Past Pia")
    with at_moment(monkeypatch, dt.datetime.combine(today - dt.timedelta(days=50), dt.time(16))):
        old = owner.session_bill(client["id"], 6000)
    with at_moment(monkeypatch, dt.datetime.combine(today - dt.timedelta(days=5), dt.time(16))):
        owner.pay(old["id"], "cash", 6000)
        owner.session_bill(client["id"], 1500)
    as_of = (today - dt.timedelta(days=10)).isoformat()

    then = owner.get(f"/reports/aging?as_of={as_of}")

    assert then["as_of"] == as_of
    assert then["buckets"] == {**NO_BUCKETS, "31_60": 6000} and then["total"] == 6000
    assert [(c["client_id"], c["balance_due"]) for c in then["clients"]] == [(client["id"], 6000)]
    assert owner.get("/reports/aging")["buckets"] == {**NO_BUCKETS, "0_30": 1500}


def test_aging_as_of_counts_what_happened_until_midnight_in_new_york(
    owner: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`as_of` means the end of that day there (the default zone, `America/New_York`)."""
    as_of = _today_in_new_york() - dt.timedelta(days=3)
    next_utc_day = as_of + dt.timedelta(days=1)
    client = owner.client("Midnight Max")
    with at_moment(monkeypatch, dt.datetime.combine(as_of - dt.timedelta(days=20), dt.time(16))):
        paid_late = owner.session_bill(client["id"], 7000)
        owner.session_bill(client["id"], 300)
    with at_moment(monkeypatch, dt.datetime.combine(next_utc_day, dt.time(3, 30))):  # 22:30 on as_of there
        owner.pay(paid_late["id"], "cash", 7000)
    with at_moment(monkeypatch, dt.datetime.combine(next_utc_day, dt.time(5, 30))):  # 00:30 the next day there
        owner.session_bill(client["id"], 900)

    report = owner.get(f"/reports/aging?as_of={as_of.isoformat()}")

    assert report["buckets"] == {**NO_BUCKETS, "0_30": 300} and report["total"] == 300


def test_aging_counts_from_the_practices_day_not_the_utc_day(owner: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """… counted from the day it was created (the practice's day)."""
    client = owner.client("Late Night Lou")
    utc_day = _today_in_new_york() - dt.timedelta(days=50)
    # 03:00 UTC is the evening before in New York: the bill's day is utc_day - 1 there.
    with at_moment(monkeypatch, dt.datetime.combine(utc_day, dt.time(3))):
        owner.session_bill(client["id"], 2500)
    local_day = utc_day - dt.timedelta(days=1)

    def buckets(day: dt.date) -> dict[str, int]:
        return dict(owner.get(f"/reports/aging?as_of={day.isoformat()}")["buckets"])

    assert buckets(local_day + dt.timedelta(days=30)) == {**NO_BUCKETS, "0_30": 2500}
    assert buckets(local_day + dt.timedelta(days=31)) == {**NO_BUCKETS, "31_60": 2500}
    assert owner.get(f"/reports/aging?as_of={(local_day - dt.timedelta(days=1)).isoformat()}")["total"] == 0


def test_aging_refuses_a_day_that_is_not_a_day(owner: Api) -> None:
    """Dates `YYYY-MM-DD`; a bad one is 422 `validation_error` in the error shape."""
    for bad in ("2026-02-30", "yesterday", "2026-1-5"):
        _error(_send(owner, "GET", f"/reports/aging?as_of={bad}"), 422, "validation_error")


# --- The web words -----------------------------------------------------------------------------------


def test_the_client_list_has_a_search_box_named_search_clients(owner: Api, db: Database, http: TestClient) -> None:
    """Web: `/clients` has a search box named "Search clients"."""
    owner.client("Harriet Okonkwo")
    owner.client("Omar Haddad")
    desk = signed_in(owner, db, http)

    page = desk.page("/clients")
    label = re.search(r'<label[^>]*for="([^"]+)"[^>]*>\s*Search clients', page)
    assert label is not None, "no label 'Search clients'"
    box = re.search(rf'<input[^>]*id="{re.escape(label.group(1))}"[^>]*>', page)
    assert box is not None and 'name="q"' in box.group(0)
    found = desk.page("/clients?q=KONK")
    assert "Harriet Okonkwo" in found and "Omar Haddad" not in found


def test_a_bill_page_names_the_bill_and_offers_apply_credit_when_the_client_has_credit(
    owner: Api, db: Database, http: TestClient
) -> None:
    """The UI names a bill "Bill #N". Web: button "Apply credit" on an open bill when the client has credit.
    Each bill has a "History" section listing who did what, when; returns show there with the person's name."""
    client = owner.client("Wendy Web")
    first = _open_bill(owner, client["id"], 8000)
    second = _open_bill(owner, client["id"], 8000)
    desk = signed_in(owner, db, http)
    assert "Apply credit" not in desk.page(f"/bills/{first['id']}")  # no credit yet

    owner.prepay(client["id"], "cash", 5000)
    page = desk.page(f"/bills/{second['id']}")
    assert f"Bill #{second['number']}" in page and second["number"] == first["number"] + 1
    assert "Apply credit" in page
    client_page = desk.page(f"/clients/{client['id']}")
    assert f"Bill #{first['number']}" in client_page and f"Bill #{second['number']}" in client_page
    assert "Apply credit" not in signed_in(owner, db, http, role="clinician").page(f"/bills/{second['id']}")

    biller = owner.login_as("biller")
    line = biller.post(f"/bills/{second['id']}/apply-credit", {"amount": 2000}, expect=201)
    biller.post(f"/bills/{second['id']}/lines/{line['id']}/refund", {"amount": 500}, expect=200)
    history = _section(desk.page(f"/bills/{second['id']}"), "History")
    assert re.search(r"\d{4}-\d{2}-\d{2}", history)  # when
    returned = [row for row in _rows(history) if re.search(r"return|refund", row, re.IGNORECASE)]
    assert returned and biller.email in returned[-1]  # what, and who

    biller.call("DELETE", f"/bills/{second['id']}/lines/{line['id']}", expect=204)
    history = _section(desk.page(f"/bills/{second['id']}"), "History")
    removed = [row for row in _rows(history) if re.search(r"remov|delet", row, re.IGNORECASE)]
    assert removed and biller.email in removed[-1]
    lots = _section(desk.page(f"/clients/{client['id']}/billing"), "History")
    assert any(biller.email in row and re.search(r"return", row, re.IGNORECASE) for row in _rows(lots))

    paid = _open_bill(owner, client["id"], 1000)
    owner.pay(paid["id"], "cash", 1000)
    assert owner.credit_balance(client["id"]) > 0
    assert "Apply credit" not in desk.page(f"/bills/{paid['id']}")  # not an open bill


def _rows(section: str) -> list[str]:
    """The table rows of a section, tags dropped."""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>.*?</tr>", section, re.S)]


def test_the_pages_show_payment_days_in_the_practice_time_zone(
    owner: Api, db: Database, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every day a person sees (appointment and payment dates in the UI) is a day in that time zone."""
    client = owner.client("Zoned Zia")
    bill = owner.bill(client["id"], [owner.appointment(client["id"], 9000, date="2026-06-20")["id"]])
    with at_moment(monkeypatch, dt.datetime(2026, 7, 1, 2, 30)):  # 22:30 on 2026-06-30 in New York
        owner.pay(bill["id"], "cash", 9000)

    page = signed_in(owner, db, http).page(f"/bills/{bill['id']}")

    assert "2026-06-20" in page and "2026-06-30" in page and "2026-07-01" not in page


def test_the_client_page_has_statement_and_billing_settings_has_history(
    owner: Api, db: Database, http: TestClient
) -> None:
    """Web: "Statement" on the client page. Each credit lot has a "History" section listing who did what,
    when; removals show there with the person's name."""
    client = owner.client("Hank History")
    lot = _manual_credit(owner, client["id"], 4000)
    biller = owner.login_as("biller")
    biller.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 1500}, expect=200)
    desk = signed_in(owner, db, http)

    client_page = desk.page(f"/clients/{client['id']}")
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>\s*Statement', client_page)
    assert link is not None
    assert "Hank History" in desk.page(link.group(1).replace("&amp;", "&"))
    history = _section(desk.page(f"/clients/{client['id']}/billing"), "History")
    assert re.search(r"\d{4}-\d{2}-\d{2}", history)  # when
    removed = [row for row in _rows(history) if re.search(r"remov", row, re.IGNORECASE)]
    assert len(removed) == 1 and biller.email in removed[0] and "$15.00" in removed[0]
    assert any(owner.email in row for row in _rows(history))  # who added it


def test_another_practices_bill_and_client_pages_are_404(owner: Api, db: Database, http: TestClient) -> None:
    """Another practice's object: 404, never 403 (the pages for the new features too)."""
    client = owner.client("Hidden Hal")
    bill = _open_bill(owner, client["id"])
    intruder = signed_in(new_owner(http, db), db, http)

    for path in (f"/bills/{bill['id']}", f"/clients/{client['id']}", f"/clients/{client['id']}/statement"):
        assert intruder.get(path).status_code == 404, path


def test_the_reports_page_has_credit_liability_aging_and_the_journal_csv_link(
    owner: Api, db: Database, http: TestClient
) -> None:
    """Web `/reports`: "Credit liability" (as of a chosen day), "Aging", and a "Download journal (CSV)" link."""
    owner.prepay(owner.client("Rhea Report")["id"], "cash", 2500)
    desk = signed_in(owner, db, http, role="clinician")

    page = desk.page("/reports")
    assert "Credit liability" in page and "Aging" in page
    assert re.search(r'<input[^>]*name="as_of"', page)  # the chosen day
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>\s*Download journal \(CSV\)', page)
    assert link is not None
    csv = desk.get(link.group(1).replace("&amp;", "&"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    yesterday = (_today_in_new_york() - dt.timedelta(days=1)).isoformat()
    assert "$25.00" in _section(page, "Credit liability")
    assert "$25.00" not in _section(desk.page(f"/reports?as_of={yesterday}"), "Credit liability")
