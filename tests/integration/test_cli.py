"""The CLI from a user's seat: init, demo and verify on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select, update
from typer.testing import CliRunner

from clientledger.cli import app
from clientledger.models import clients, practices, users

runner = CliRunner()


def _cli(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database-url", url])
    return result.exit_code, result.stdout


def test_init_creates_the_practice_and_prints_a_token_last(database_url: str) -> None:
    code, out = _cli(database_url, "init", "--practice", "North Clinic", "--email", "Owner@North.example")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert token.startswith("clt_") and len(token) > 30

    code, out = _cli(database_url, "init", "--practice", "North Clinic", "--email", "owner@north.example")
    assert code == 0
    assert out.strip().splitlines()[-1] != token
    code, _ = _cli(database_url, "init", "--practice", "South Clinic", "--email", "owner@north.example")
    assert code == 0
    engine = create_engine(database_url)
    with engine.connect() as conn:
        practice_ids = list(conn.execute(select(practices.c.id)).scalars())
        assert len(practice_ids) == 2
        staff = [
            conn.execute(select(func.count()).select_from(users).where(users.c.practice_id == p)).scalar()
            for p in practice_ids
        ]
        assert staff == [1, 1]
    engine.dispose()
    assert _cli(database_url, "verify")[0] == 0


def test_demo_holds_every_case_and_verifies(database_url: str) -> None:
    code, out = _cli(database_url, "demo")
    assert code == 0 and "demo-password" in out
    assert _cli(database_url, "demo")[0] == 0  # a second run adds nothing
    code, out = _cli(database_url, "verify")
    assert code == 0, out
    engine = create_engine(database_url)
    with engine.connect() as conn:
        demo = conn.execute(select(practices.c.id)).scalar_one()
        names = set(conn.execute(select(clients.c.name).where(clients.c.practice_id == demo)).scalars())
    engine.dispose()
    assert {"Priya Patel", "Marcus Lee", "Sofia Alvarez", "Jordan Kim", "Elena Rossi", "Sam Okafor"} <= names


def test_verify_lists_a_balance_changed_without_a_journal_entry(database_url: str) -> None:
    assert _cli(database_url, "demo")[0] == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        demo = conn.execute(select(practices.c.id)).scalar_one()
        conn.execute(
            update(clients)
            .where(clients.c.practice_id == demo, clients.c.name == "Jordan Kim")
            .values(credit_balance=999)
        )
    engine.dispose()
    code, out = _cli(database_url, "verify")
    assert code == 1
    assert "credit_balance is 999" in out
