"""HTTP: a bill's status is about the client's part, and ``insurance_due`` says what payers still owe.

An insured client at copay 0 owes nothing on a session, yet the bill is not settled until the payer
pays, adjusts or denies the claim; a client who has paid their copay has a paid bill while the payer
still owes. After every step ``clientledger verify`` exits 0.
"""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from clientledger.cli import app as cli
from tests.api.conftest import API, Api
from tests.support.era_generate import GeneratedClaim, GeneratedService, generate_835

FEE = 10000


def assert_verify_exits_0(database_url: str) -> None:
    result = CliRunner().invoke(cli, ["verify", "--database-url", database_url])
    assert result.exit_code == 0, result.stdout


def figures(bill: dict[str, Any]) -> tuple[str, int, int, list[int]]:
    return bill["status"], bill["balance_due"], bill["insurance_due"], [i["insurance_due"] for i in bill["items"]]


def copay_zero_bill(owner: Api, name: str = "Noa Zero") -> dict[str, Any]:
    client = owner.client(name, billing="insurance", copay=0)
    bill: dict[str, Any] = owner.session_bill(client["id"], fee=FEE)
    return bill


def post_eob(owner: Api, bill: dict[str, Any], **decision: Any) -> dict[str, Any]:
    body = {"item_id": bill["items"][0]["id"], "payer": "BRHP1", **decision}
    result: dict[str, Any] = owner.post(f"/bills/{bill['id']}/insurance-payments", body, expect=200)
    return result


def test_a_copay_zero_bill_is_open_with_nothing_due_until_the_payer_pays_in_full(owner: Api, database_url: str) -> None:
    bill = copay_zero_bill(owner)
    assert figures(bill) == ("open", 0, FEE, [FEE])
    assert figures(owner.get(f"/bills/{bill['id']}")) == ("open", 0, FEE, [FEE])
    assert_verify_exits_0(database_url)

    paid = post_eob(owner, bill, paid=FEE, patient_responsibility=0)

    assert figures(paid) == ("paid", 0, 0, [0])
    assert figures(owner.get(f"/bills/{bill['id']}")) == ("paid", 0, 0, [0])
    assert_verify_exits_0(database_url)


def test_a_contractual_write_down_settles_what_the_payer_owes(owner: Api, database_url: str) -> None:
    bill = copay_zero_bill(owner)

    settled = post_eob(
        owner, bill, paid=7000, patient_responsibility=0, adjustments=[{"group": "CO", "reason": "45", "amount": 3000}]
    )

    assert figures(settled) == ("paid", 0, 0, [0])
    assert_verify_exits_0(database_url)


def test_a_denial_leaves_the_client_owing_the_fee_and_the_client_then_pays(owner: Api, database_url: str) -> None:
    bill = copay_zero_bill(owner)

    denied = post_eob(
        owner, bill, paid=0, patient_responsibility=FEE, adjustments=[{"group": "PR", "reason": "1", "amount": FEE}]
    )

    assert figures(denied) == ("open", FEE, 0, [0])
    assert_verify_exits_0(database_url)

    owner.pay(bill["id"], "cash", FEE)

    assert figures(owner.get(f"/bills/{bill['id']}")) == ("paid", 0, 0, [0])
    assert_verify_exits_0(database_url)


def test_a_client_who_paid_the_copay_has_a_paid_bill_while_the_payer_still_owes(owner: Api, database_url: str) -> None:
    client = owner.client("Cy Copay", billing="insurance", copay=2000)
    bill = owner.session_bill(client["id"], fee=FEE)
    assert figures(bill) == ("open", 2000, 8000, [8000])

    owner.pay(bill["id"], "cash", 2000)

    assert figures(owner.get(f"/bills/{bill['id']}")) == ("paid", 0, 8000, [8000])
    assert_verify_exits_0(database_url)


def test_a_reversal_of_a_full_payment_reopens_a_copay_zero_bill(owner: Api, database_url: str) -> None:
    bill = copay_zero_bill(owner, "Rae Reversed")
    other = copay_zero_bill(owner, "Oli Other")
    post_eob(owner, bill, paid=FEE, patient_responsibility=0)
    reversal = GeneratedClaim(
        claim_ref=bill["items"][0]["claim_ref"],
        status_code="22",
        charge=-FEE,
        paid=-FEE,
        services=(GeneratedService("90834", -FEE, -FEE),),
    )
    # The same check pays another claim in full, so its total is not negative.
    payment = GeneratedClaim(
        claim_ref=other["items"][0]["claim_ref"], charge=FEE, paid=FEE, services=(GeneratedService("90834", FEE, FEE),)
    )
    content = generate_835([reversal, payment], trace="EFT-REV-1").encode()

    r = owner.http.post(
        f"{API}/era-imports", files={"file": ("remit.835", content, "application/edi-x12")}, headers=owner.headers()
    )

    assert r.status_code == 201, r.text
    assert [c["result"] for c in r.json()["claims"]] == ["posted", "posted"]
    assert figures(owner.get(f"/bills/{bill['id']}")) == ("open", 0, FEE, [FEE])
    assert figures(owner.get(f"/bills/{other['id']}")) == ("paid", 0, 0, [0])
    assert_verify_exits_0(database_url)
