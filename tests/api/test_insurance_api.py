"""HTTP: posting an EOB by hand, and uploading 835 files, as a biller would."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems, new_owner
from tests.factories import Ledger, an_insured_bill
from tests.support.era_generate import generate_835, synthetic_claims

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"


def upload(api: Api, content: bytes, *, key: str | None = None, name: str = "remit.835") -> Any:
    r = api.http.post(
        f"{API}/era-imports", files={"file": (name, content, "application/edi-x12")}, headers=api.headers(key)
    )
    return r


def test_posting_an_eob_by_hand_moves_the_overpaid_copay_to_credit(owner: Api, ledger: Ledger, db: Database) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, copay_paid_by='card')[1].id}")
    item = bill["items"][0]
    assert item["claim_ref"].startswith("CLM-")
    body = {
        "item_id": item["id"],
        "payer": "BRHP1",
        "paid": 8000,
        "patient_responsibility": 2000,
        "adjustments": [{"group": "PR", "reason": "2", "amount": 2000}],
        "claim_ref": item["claim_ref"],
    }

    result = owner.post(f"/bills/{bill['id']}/insurance-payments", body, key="eob-1", expect=200)
    again = owner.http.post(f"{API}/bills/{bill['id']}/insurance-payments", json=body, headers=owner.headers("eob-1"))

    [lot] = result["credits_created"]
    assert (lot["source"], lot["amount"], lot["payment_id"]) == (
        "insurance_adjustment",
        1000,
        bill["lines"][0]["payment_id"],
    )
    assert (result["items"][0]["client_responsibility"], result["items"][0]["insurance_paid"]) == (2000, 8000)
    assert (result["balance_due"], result["status"]) == (0, "paid")
    assert (again.status_code, again.json(), again.headers.get("Idempotent-Replayed")) == (200, result, "true")
    assert owner.credit_balance(bill["client_id"]) == 1000
    assert ledger_problems(db) == []


def test_an_eob_that_does_not_add_up_or_uses_floats_is_422(owner: Api, ledger: Ledger) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, copay_paid_by='card')[1].id}")
    base = {"item_id": bill["items"][0]["id"], "payer": "BRHP1", "paid": 8000, "patient_responsibility": 1000}

    unbalanced = owner.post(f"/bills/{bill['id']}/insurance-payments", base, key="bad-1", expect=422)
    floats = owner.post(f"/bills/{bill['id']}/insurance-payments", {**base, "paid": 80.0}, expect=422)
    bad_ref = owner.post(f"/bills/{bill['id']}/insurance-payments", {**base, "claim_ref": "clm 1"}, expect=422)
    wrong_item = owner.post(f"/bills/{bill['id']}/insurance-payments", {**base, "item_id": "item_nope"}, expect=404)

    assert (
        unbalanced["error"]["code"] == "validation_error" and "billed at 10000 cents" in unbalanced["error"]["message"]
    )
    assert floats["error"]["code"] == bad_ref["error"]["code"] == "validation_error"
    assert wrong_item["error"]["code"] == "not_found"
    assert owner.get(f"/bills/{bill['id']}")["items"][0]["insurance_paid"] == 0


def test_uploading_an_835_posts_its_claims_and_reports_each(owner: Api, ledger: Ledger, db: Database) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, fee=15000, copay_paid_by='card')[1].id}")
    ledger.set_claim_ref(bill["items"][0]["id"], "CLM-1006")

    r = upload(owner, (FIXTURES / "unmatched_claim.835").read_bytes(), key="era-1")

    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["trace"], report["payer_id"]) == ("SM-88121", "SMI01")
    assert [(c["claim_ref"], c["result"], c["bill_id"]) for c in report["claims"]] == [
        ("CLM-UNKNOWN", "unmatched", None),
        ("CLM-1006", "posted", bill["id"]),
    ]
    assert "CLM-UNKNOWN" in report["claims"][0]["reason"]
    assert report["totals"] | {"claims": 2} == {
        "claims": 2,
        "matched": 1,
        "posted": 1,
        "duplicate": 0,
        "unmatched": 1,
        "unbalanced": 0,
        "paid_posted": 12000,
        "credits_created_amount": 0,
    }
    assert owner.get(f"/era-imports/{report['id']}") == report
    assert ledger_problems(db) == []


def test_an_upload_retried_with_its_key_replays_and_a_new_upload_is_all_duplicates(
    owner: Api, ledger: Ledger, db: Database
) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, fee=15000, copay_paid_by='card')[1].id}")
    claims = [dataclasses.replace(next(synthetic_claims(1)), claim_ref=bill["items"][0]["claim_ref"])]
    content = generate_835(claims, trace="EFT-API-1").encode()

    first = upload(owner, content, key="era-2")
    retry = upload(owner, content, key="era-2", name="renamed.835")
    other_file = upload(owner, generate_835(claims, trace="EFT-API-2").encode(), key="era-2")
    again = upload(owner, content)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers.get("Idempotent-Replayed") == "true"
    assert other_file.status_code == 409 and other_file.json()["error"]["code"] == "idempotency_key_reused"
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    assert [c["result"] for c in again.json()["claims"]] == ["duplicate"]
    assert owner.get(f"/bills/{bill['id']}")["items"][0]["insurance_paid"] == 13000
    assert ledger_problems(db) == []


def test_a_file_that_is_not_a_valid_835_is_422_and_posts_nothing(owner: Api, ledger: Ledger, db: Database) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, fee=15000, copay_paid_by='card')[1].id}")
    ledger.set_claim_ref(bill["items"][0]["id"], "CLM-1001")
    bill = owner.get(f"/bills/{bill['id']}")

    malformed = upload(owner, (FIXTURES / "malformed.835").read_bytes(), key="era-bad")
    pdf = upload(owner, b"%PDF-1.7 remittance advice", name="remit.pdf")
    empty = upload(owner, b"")
    missing = owner.http.post(f"{API}/era-imports", headers=owner.headers())

    for r in (malformed, pdf, empty, missing):
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "validation_error"
    assert "ISA header is damaged" in malformed.json()["error"]["message"]
    assert "starts with '%PDF" in pdf.json()["error"]["message"]
    assert owner.get(f"/bills/{bill['id']}") == bill
    fixed = upload(owner, (FIXTURES / "copay_higher_than_pr.835").read_bytes(), key="era-bad")
    assert fixed.status_code == 201  # a refused upload does not burn its key
    assert ledger_problems(db) == []


def test_clinicians_read_reports_but_neither_post_nor_upload(owner: Api, ledger: Ledger) -> None:
    clinician = owner.login_as("clinician")
    biller = owner.login_as("biller")
    bill = owner.get(f"/bills/{an_insured_bill(ledger, copay_paid_by='card')[1].id}")
    body = {"item_id": bill["items"][0]["id"], "payer": "BRHP1", "paid": 7000, "patient_responsibility": 3000}
    content = (FIXTURES / "two_claims.835").read_bytes()

    assert clinician.post(f"/bills/{bill['id']}/insurance-payments", body, expect=403)["error"]["code"] == "forbidden"
    assert upload(clinician, content).status_code == 403
    report = upload(biller, content).json()
    assert [c["result"] for c in report["claims"]] == ["unmatched", "unmatched"]
    assert clinician.get(f"/era-imports/{report['id']}")["id"] == report["id"]
    biller.post(f"/bills/{bill['id']}/insurance-payments", body, expect=200)


def test_another_practices_bills_and_imports_are_404(owner: Api, ledger: Ledger, db: Database) -> None:
    bill = owner.get(f"/bills/{an_insured_bill(ledger, copay_paid_by='card')[1].id}")
    report = upload(owner, (FIXTURES / "two_claims.835").read_bytes()).json()
    intruder = new_owner(owner.http, db)
    body = {"item_id": bill["items"][0]["id"], "payer": "BRHP1", "paid": 7000, "patient_responsibility": 3000}

    assert intruder.post(f"/bills/{bill['id']}/insurance-payments", body, expect=404)["error"]["code"] == "not_found"
    assert intruder.get(f"/era-imports/{report['id']}", expect=404)["error"]["code"] == "not_found"
    assert owner.get(f"/bills/{bill['id']}") == bill
