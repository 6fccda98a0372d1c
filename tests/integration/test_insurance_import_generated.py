"""Importing generated 835s: every kind of claim the generator writes, commit grouping, racing uploads."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from clientledger.db import Ctx
from clientledger.insurance import importer
from clientledger.insurance import repository as repo
from clientledger.insurance.era835 import Adjustment
from tests.factories import Ledger
from tests.integration.journal_helpers import journal_size
from tests.support.era_generate import GeneratedClaim, GeneratedService, generate_835, synthetic_claims

FEES = (15000, 20000, 15000, 20000, 15000)  # synthetic_claims' charge for each kind of its cycle of 5


def billed_claims(ledger: Ledger, n: int) -> tuple[str, list[str]]:
    """``n`` insured sessions (copay $30 paid in cash) and a generated 835 paying each of them."""
    client = ledger.client("Linh Nguyen", billing="insurance", copay=3000)
    refs, bills = [], []
    for i in range(n):
        bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=FEES[i % 5]).id])
        ledger.pay(bill.id, "cash", 3000)
        assert bill.items[0].claim_ref is not None
        refs.append(bill.items[0].claim_ref)
        bills.append(bill.id)
    claims = [dataclasses.replace(c, claim_ref=r) for c, r in zip(synthetic_claims(n), refs, strict=True)]
    return generate_835(claims), bills


def test_every_kind_of_generated_claim_posts_and_the_books_tie_out(ledger: Ledger) -> None:
    text, bills = billed_claims(ledger, 5)

    report = ledger.import_era(text)

    assert [c.result for c in report.claims] == ["posted"] * 5
    responsibility = [ledger.get_bill(b).items[0].client_responsibility for b in bills]
    assert responsibility == [2000, 4500, 0, 20000, 2000]  # PR of each kind; a denial with CO-50 leaves 0
    # Credits: copay 3000 above PR 2000 (kinds 0 and 4), and all of it when the payer denied with CO.
    assert [sum(c.amount for c in claim.credits_created) for claim in report.claims] == [1000, 0, 3000, 0, 1000]
    assert report.totals.credits_created_amount == 5000
    assert report.warnings == []
    assert ledger.verify() == []


def test_all_six_adjustment_pairs_and_line_level_patient_responsibility_count(ledger: Ledger) -> None:
    client = ledger.client("Priya Patel", billing="insurance", copay=3000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    ledger.set_claim_ref(bill.items[0].id, "CLM-6CAS")
    six = [Adjustment("CO", r, 100) for r in ("45", "253", "59", "94", "97", "131")]  # one CAS*CO, six pairs
    line_pr = (Adjustment("PR", "2", 1500), Adjustment("PR", "1", 1500))
    claim = GeneratedClaim(
        claim_ref="CLM-6CAS",
        charge=15000,
        paid=11000,
        adjustments=(*six, Adjustment("OA", "23", 400)),
        services=(GeneratedService("90834", 15000, 11000, line_pr),),
    )

    text = generate_835([claim])
    assert "CAS*CO*45*1.00**253*1.00**59*1.00**94*1.00**97*1.00**131*1.00~" in text

    report = ledger.import_era(text)

    assert report.claims[0].result == "posted"
    item = ledger.get_bill(bill.id).items[0]
    assert (item.client_responsibility, item.insurance_paid) == (3000, 11000)
    [entry] = ledger.entries("insurance_payment")
    accounts = {p["account"]: p["amount"] for p in entry["postings"] if p["account"].startswith("adjust:")}
    assert accounts == {"adjust:contractual": 600, "adjust:insurance_other": 400}
    assert ledger.verify() == []


@pytest.mark.parametrize("claims_per_commit", [1, 3, 50])
def test_commit_grouping_changes_nothing_but_speed(ledger: Ledger, claims_per_commit: int) -> None:
    text, _ = billed_claims(ledger, 7)
    text = text.replace(f"CLP*{text.split('CLP*')[3].split('*')[0]}*", "CLP*CLM-NOBODY*", 1)

    report = importer.import_era(ledger.db, ledger.ctx, text, claims_per_commit=claims_per_commit).read()

    assert [c.result for c in report.claims] == ["posted"] * 2 + ["unmatched"] + ["posted"] * 4
    assert ledger.verify() == []


def test_a_group_whose_transaction_fails_is_posted_again_claim_by_claim(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, _ = billed_claims(ledger, 4)
    real = repo.insert_era_claim
    calls = {"n": 0}

    def flaky(tx: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the third claim of the first (only) group: the whole group rolls back
            raise IntegrityError("INSERT INTO era_claims", {}, Exception("simulated"))
        real(tx, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "insert_era_claim", flaky)
    before = journal_size(ledger)

    report = ledger.import_era(text)

    assert [c.result for c in report.claims] == ["posted"] * 4
    assert len(ledger.entries("insurance_payment")) == 4
    assert journal_size(ledger) > before
    assert ledger.verify() == []


def test_two_uploads_of_one_file_at_once_post_each_claim_once(ledger: Ledger) -> None:
    text, _ = billed_claims(ledger, 6)
    reports = []
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            reports.append(importer.import_era(ledger.db, Ctx(practice_id=ledger.ctx.practice_id), text).read())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    results = sorted(c.result for r in reports for c in r.claims)
    assert results == ["duplicate"] * 6 + ["posted"] * 6
    assert len(ledger.entries("insurance_payment")) == 6
    assert ledger.verify() == []


def test_the_committed_generated_fixture_is_the_generators_output_and_imports(ledger: Ledger) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "era" / "generated_five_kinds.835"
    assert fixture.read_text() == generate_835(n_claims=5, trace="GEN-260115-05")
    client = ledger.client("Diego Morales", billing="insurance", copay=3000)
    for n in range(5):
        bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=FEES[n]).id])
        ledger.set_claim_ref(bill.items[0].id, f"CLM-{n + 1:06d}")

    report = ledger.import_era(fixture)

    assert [(c.claim_ref, c.result) for c in report.claims] == [(f"CLM-{n:06d}", "posted") for n in range(1, 6)]
    assert (report.totals.paid_posted, report.payment_total) == (39500, 39500)
    assert ledger.verify() == []
