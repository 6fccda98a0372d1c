"""``clientledger import-era FILE`` from a biller's seat."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clientledger import cli
from clientledger.cli import app
from clientledger.db import Tx
from clientledger.models import era_imports
from tests.factories import Ledger, a_staff_member, an_insured_bill, new_practice

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bill ids in full: the console's width is fixed when it is created (80 under xdist)."""
    monkeypatch.setattr(cli.console, "width", 200)


def _cli(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database-url", url])
    return result.exit_code, result.stdout + result.stderr


def test_import_era_posts_and_prints_the_summary(ledger: Ledger, database_url: str) -> None:
    _, bill = an_insured_bill(ledger, "Erik Lindqvist", fee=15000, claim_ref="CLM-1006", copay_paid_by="card")
    bill_id = bill.id

    code, out = _cli(database_url, "import-era", str(FIXTURES / "unmatched_claim.835"))

    assert code == 0, out
    assert "Posting claims" in out
    assert "CLM-UNKNOWN" in out and "unmatched" in out
    assert "CLM-1006" in out and "posted" in out and bill_id in out
    assert "2 claims: 1 posted, 0 duplicate, 1 unmatched, 0 unbalanced; paid $120.00" in out
    assert ledger.get_bill(bill_id).items[0].insurance_paid == 12000

    code, out = _cli(database_url, "import-era", str(FIXTURES / "unmatched_claim.835"))
    assert code == 0 and "1 duplicate" in out
    assert ledger.verify() == []


def test_import_era_refuses_a_malformed_file_with_exit_1(ledger: Ledger, database_url: str) -> None:
    code, out = _cli(database_url, "import-era", str(FIXTURES / "malformed.835"))

    assert code == 1
    assert "Not imported" in out and "ISA header is damaged" in out
    assert ledger.entries() == []


def _era_imports(ledger: Ledger) -> int:
    def query(tx: Tx) -> int:
        return len(tx.conn.execute(select(era_imports.c.id).where(era_imports.c.practice_id == tx.practice_id)).all())

    return ledger.read(query)


def test_import_era_acts_as_the_user_named_and_a_clinician_is_refused(ledger: Ledger, database_url: str) -> None:
    _, bill = an_insured_bill(ledger, "Erik Lindqvist", fee=15000, claim_ref="CLM-1006", copay_paid_by="card")
    bill_id = bill.id
    remittance = str(FIXTURES / "unmatched_claim.835")

    code, out = _cli(database_url, "import-era", remittance, "--user", a_staff_member(ledger, "clinician"))

    assert code == 1, out
    assert "Not imported" in out and "The clinician role may not" in out
    assert ledger.get_bill(bill_id).items[0].insurance_paid == 0
    assert _era_imports(ledger) == 0 and ledger.entries("insurance_payment") == []

    code, out = _cli(database_url, "import-era", remittance, "--user", a_staff_member(ledger, "biller"))

    assert code == 0, out
    assert ledger.get_bill(bill_id).items[0].insurance_paid == 12000
    assert _era_imports(ledger) == 1
    assert ledger.verify() == []


def test_import_era_needs_the_practice_named_when_there_are_several(ledger: Ledger, database_url: str) -> None:
    an_insured_bill(ledger, "Erik Lindqvist", fee=15000, claim_ref="CLM-1001", copay_paid_by="card")
    new_practice(ledger.db, name="Second Practice", email="second@example.com")

    code, out = _cli(database_url, "import-era", str(FIXTURES / "copay_higher_than_pr.835"))
    assert code == 2 and "--practice" in out

    code, out = _cli(
        database_url, "import-era", str(FIXTURES / "copay_higher_than_pr.835"), "--practice", "Calm Waters Therapy"
    )
    assert code == 0, out
    assert "credits created $10.00" in out


def test_the_demo_holds_an_insurance_overpayment_turned_credit(database_url: str) -> None:
    from sqlalchemy import create_engine, select

    from clientledger.models import clients, credit_lots, practices

    assert _cli(database_url, "demo")[0] == 0
    engine = create_engine(database_url)
    with engine.connect() as conn:
        demo = conn.execute(select(practices.c.id)).scalar_one()
        lots = conn.execute(
            select(credit_lots.c.source, credit_lots.c.amount, credit_lots.c.payment_id)
            .join(clients, (clients.c.practice_id == demo) & (clients.c.id == credit_lots.c.client_id))
            .where(credit_lots.c.practice_id == demo, clients.c.name == "Ana Rivera")
        ).all()
    engine.dispose()
    assert [(lot.source, lot.amount) for lot in lots] == [("insurance_adjustment", 1000)]
    assert lots[0].payment_id is not None
    assert _cli(database_url, "verify")[0] == 0
