"""Importing 835 remittances: the hand-written therapy fixtures, one story each."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from clientledger.insurance.era835 import InvalidRemittance
from clientledger.models import era_imports
from tests.factories import Ledger, a_prepaid_client, an_insured_bill
from tests.integration.journal_helpers import journal_size, postings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"


def fixture(name: str) -> Path:
    return FIXTURES / f"{name}.835"


def entry_postings(ledger: Ledger, bill_id: str, kind: str) -> list[list[tuple[str, int]]]:
    return [
        sorted((p["account"], p["amount"]) for p in e["postings"])
        for e in ledger.entries(kind)
        if e["postings"][0]["bill_id"] == bill_id
    ]


def test_copay_higher_than_patient_responsibility_becomes_credit(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1001", copay_paid_by="card")
    card = bill.lines[0]

    report = ledger.import_era(fixture("copay_higher_than_pr"))

    [claim] = report.claims
    assert (claim.claim_ref, claim.result, claim.bill_id, claim.reason) == ("CLM-1001", "posted", bill.id, None)
    [credit] = claim.credits_created
    assert (credit.amount, credit.payment_id) == (1000, card.payment_id)
    assert (report.trace, report.payer_id, report.totals.posted, report.totals.credits_created_amount) == (
        "CHK-260115-01",
        "BRHP1",
        1,
        1000,
    )
    after = ledger.get_bill(bill.id)
    [item] = after.items
    assert (item.client_responsibility, item.insurance_responsibility, item.insurance_paid) == (2000, 13000, 13000)
    assert (after.balance_due, after.status) == (0, "paid")
    [line] = after.lines
    assert (line.amount, line.captured, line.credited) == (2000, 3000, 1000)
    [lot] = ledger.credits(client.id).lots
    assert (lot.source, lot.remaining, lot.payment_id) == ("insurance_adjustment", 1000, card.payment_id)
    assert entry_postings(ledger, bill.id, "insurance_payment") == [
        postings(
            ("ar:client", -1000),
            ("ar:insurance", 1000),
            ("cash:insurance", 13000),
            ("ar:insurance", -13000),
            ("ar:client", 1000),
            ("client_credit", -1000),
        )
    ]
    assert ledger.verify() == []


def test_patient_responsibility_higher_than_copay_is_paid_from_available_credit(ledger: Ledger) -> None:
    client, _ = a_prepaid_client(ledger, "Marcus Chen", amount=5000, type="card", billing="insurance", copay=3000)
    _, bill = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1002", client=client)
    assert ledger.get_client(client.id).credit_balance == 2000

    report = ledger.import_era(fixture("pr_higher_than_copay"))

    assert [(c.result, c.credits_created) for c in report.claims] == [("posted", [])]
    after = ledger.get_bill(bill.id)
    assert [(ln.type, ln.amount) for ln in after.lines] == [("client_credit", 3000), ("client_credit", 1500)]
    assert (after.client_responsibility, after.balance_due, after.status) == (4500, 0, "paid")
    assert ledger.get_client(client.id).credit_balance == 500
    assert entry_postings(ledger, bill.id, "insurance_payment") == [
        postings(
            ("ar:client", 1500),
            ("ar:insurance", -1500),
            ("cash:insurance", 8000),
            ("adjust:contractual", 2500),
            ("ar:insurance", -10500),
            ("client_credit", 1500),
            ("ar:client", -1500),
        )
    ]
    assert ledger.verify() == []


def test_denial_makes_the_client_owe_the_allowed_amount(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger, fee=20000, claim_ref="CLM-1003", copay_paid_by="cash")

    report = ledger.import_era(fixture("denial"))

    [claim] = report.claims
    assert (claim.result, claim.status_code, claim.paid) == ("posted", "4", 0)
    after = ledger.get_bill(bill.id)
    assert (after.items[0].client_responsibility, after.items[0].insurance_paid) == (15000, 0)
    assert (after.balance_due, after.status) == (12000, "open")
    assert ledger.get_client(client.id).balance_due == 12000
    assert entry_postings(ledger, bill.id, "insurance_payment") == [
        postings(("ar:client", 12000), ("ar:insurance", -12000), ("adjust:contractual", 5000), ("ar:insurance", -5000))
    ]
    assert ledger.verify() == []


def test_two_claims_in_one_payment_post_on_their_own(ledger: Ledger) -> None:
    client, first = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1004", copay_paid_by="card")
    _, second = an_insured_bill(ledger, fee=20000, claim_ref="CLM-1005", copay_paid_by="cash", client=client)

    report = ledger.import_era(fixture("two_claims"))

    assert [(c.claim_ref, c.result, c.bill_id) for c in report.claims] == [
        ("CLM-1004", "posted", first.id),
        ("CLM-1005", "posted", second.id),
    ]
    assert (report.payer_id, report.totals.matched, report.totals.paid_posted) == ("SMI01", 2, 27000)
    assert ledger.get_bill(first.id).items[0].insurance_paid == 12000
    assert ledger.get_bill(second.id).items[0].insurance_paid == 15000
    assert entry_postings(ledger, second.id, "insurance_payment") == [
        postings(("cash:insurance", 15000), ("adjust:contractual", 2000), ("ar:insurance", -17000))
    ]
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.verify() == []


def test_an_unmatched_claim_is_quarantined_while_the_other_posts(ledger: Ledger) -> None:
    _, bill = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1006", copay_paid_by="card")

    report = ledger.import_era(fixture("unmatched_claim"))

    unknown, known = report.claims
    assert (unknown.claim_ref, unknown.result, unknown.bill_id) == ("CLM-UNKNOWN", "unmatched", None)
    assert unknown.reason is not None and "CLM-UNKNOWN" in unknown.reason
    assert (known.result, known.bill_id) == ("posted", bill.id)
    assert (report.totals.unmatched, report.totals.posted, report.totals.matched) == (1, 1, 1)
    assert ledger.verify() == []


def test_an_unbalanced_claim_is_quarantined_and_posts_nothing(ledger: Ledger) -> None:
    client, bad = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1008", copay_paid_by="card")
    _, good = an_insured_bill(ledger, fee=20000, claim_ref="CLM-1009", copay_paid_by="card", client=client)

    report = ledger.import_era(fixture("unbalanced_claim"))

    unbalanced, posted = report.claims
    assert (unbalanced.result, unbalanced.bill_id) == ("unbalanced", bad.id)
    assert unbalanced.reason is not None and "does not balance" in unbalanced.reason
    assert posted.result == "posted"
    assert ledger.get_bill(bad.id) == bad
    assert entry_postings(ledger, bad.id, "insurance_payment") == []
    assert ledger.get_bill(good.id).items[0].insurance_paid == 17000
    assert ledger.verify() == []


def test_reversal_undoes_the_earlier_payment_and_the_correction_posts(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1007", copay_paid_by="card")
    item_id, card = bill.items[0].id, bill.lines[0]
    first = ledger.insurance_payment(bill.id, item_id, payer="BRHP1", paid=13000, patient_responsibility=2000)
    assert [lot.amount for lot in first.credits_created] == [1000]

    report = ledger.import_era(fixture("reversal_and_correction"))

    assert [(c.status_code, c.result) for c in report.claims] == [("22", "posted"), ("1", "posted")]
    after = ledger.get_bill(bill.id)
    [item] = after.items
    assert (item.client_responsibility, item.insurance_responsibility, item.insurance_paid) == (1000, 14000, 14000)
    credit_line = next(ln for ln in after.lines if ln.type == "client_credit")
    card_line = next(ln for ln in after.lines if ln.type == "card")
    assert credit_line.amount == 0
    assert (card_line.amount, card_line.captured, card_line.credited) == (1000, 3000, 2000)
    lots = ledger.credits(client.id).lots
    assert [(lot.source, lot.remaining, lot.payment_id) for lot in lots] == [
        ("insurance_adjustment", 1000, card.payment_id),
        ("insurance_adjustment", 1000, card.payment_id),
    ]
    [reversal] = entry_postings(ledger, bill.id, "insurance_reversal")
    assert reversal == postings(
        ("ar:client", 1000),
        ("ar:insurance", -1000),
        ("cash:insurance", -13000),
        ("ar:insurance", 13000),
        ("client_credit", 1000),
        ("ar:client", -1000),
    )
    assert ledger.verify() == []


def test_a_reversal_with_nothing_posted_is_unmatched(ledger: Ledger) -> None:
    an_insured_bill(ledger, fee=15000, claim_ref="CLM-1007", copay_paid_by="card")

    report = ledger.import_era(fixture("reversal_and_correction"))

    reversal, correction = report.claims
    assert reversal.result == "unmatched" and reversal.reason is not None and "nothing to reverse" in reversal.reason
    assert correction.result == "posted"
    assert ledger.verify() == []


def test_a_malformed_file_is_refused_and_posts_nothing(ledger: Ledger) -> None:
    an_insured_bill(ledger, fee=15000, claim_ref="CLM-1001", copay_paid_by="card")
    before = journal_size(ledger)

    with pytest.raises(InvalidRemittance, match="ISA header is damaged"):
        ledger.import_era(fixture("malformed"))

    assert journal_size(ledger) == before
    assert (
        ledger.read(
            lambda tx: tx.conn.execute(
                select(func.count()).select_from(era_imports).where(era_imports.c.practice_id == tx.practice_id)
            ).scalar()
        )
        == 0
    )


def test_a_file_cut_off_after_its_claims_posts_nothing(ledger: Ledger) -> None:
    an_insured_bill(ledger, fee=15000, claim_ref="CLM-1004", copay_paid_by="card")
    text = fixture("two_claims").read_text()
    cut = text[: text.index("SE*")]
    before = journal_size(ledger)

    with pytest.raises(InvalidRemittance):
        ledger.import_era(cut.encode())

    assert journal_size(ledger) == before


def test_importing_the_same_file_again_posts_nothing_new(ledger: Ledger) -> None:
    client, first = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1004", copay_paid_by="card")
    an_insured_bill(ledger, fee=20000, claim_ref="CLM-1005", copay_paid_by="card", client=client)
    ledger.import_era(fixture("two_claims"))
    size, credit = journal_size(ledger), ledger.get_client(client.id).credit_balance

    again = ledger.import_era(fixture("two_claims").read_bytes())

    assert [(c.result, c.bill_id) for c in again.claims] == [
        ("duplicate", first.id),
        ("duplicate", again.claims[1].bill_id),
    ]
    assert (again.totals.duplicate, again.totals.posted) == (2, 0)
    assert journal_size(ledger) == size
    assert ledger.get_client(client.id).credit_balance == credit
    assert ledger.verify() == []


def test_an_unreadable_amount_quarantines_only_its_claim(ledger: Ledger) -> None:
    client, bad = an_insured_bill(ledger, fee=15000, claim_ref="CLM-1004", copay_paid_by="card")
    an_insured_bill(ledger, fee=20000, claim_ref="CLM-1005", copay_paid_by="card", client=client)
    text = fixture("two_claims").read_text().replace("CLP*CLM-1004*1*150.00*120.00", "CLP*CLM-1004*1*150.00*120.005")

    report = ledger.import_era(text)

    first, second = report.claims
    assert first.result == "unbalanced" and first.reason is not None and "could not be read" in first.reason
    assert second.result == "posted"
    assert ledger.get_bill(bad.id) == bad
    assert ledger.verify() == []


def test_the_report_is_kept_and_can_be_read_again(ledger: Ledger) -> None:
    from clientledger.insurance.importer import get_era_import

    an_insured_bill(ledger, fee=15000, claim_ref="CLM-1001", copay_paid_by="card")
    report = ledger.import_era(fixture("copay_higher_than_pr"))

    assert ledger.read(lambda tx: get_era_import(tx, import_id=report.id)) == report
