"""The CLI from a user's seat: init, demo and verify on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, update
from typer.testing import CliRunner

from clientledger.cli import app
from clientledger.clients.service import list_clients
from clientledger.db import Database
from clientledger.households.service import client_household
from clientledger.models import cards, clients, payments, practices, users
from clientledger.packages.service import list_packages
from clientledger.payments.processors import get_processor
from clientledger.practices.repository import list_practices
from clientledger.service_layer import Actor, Runner
from clientledger.webhooks.schemas import WebhookEndpointCreate
from clientledger.webhooks.service import create_endpoint
from clientledger.webhooks.urls import UrlPolicy
from tests.support.webhooks import add_event, receiving

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
        saved = conn.execute(
            select(clients.c.name, cards.c.brand, cards.c.last4, payments.c.card_last4)
            .join(cards, (cards.c.practice_id == clients.c.practice_id) & (cards.c.client_id == clients.c.id))
            .join(payments, (payments.c.practice_id == clients.c.practice_id) & (payments.c.client_id == clients.c.id))
            .where(clients.c.practice_id == demo, payments.c.method == "card")
        ).all()
    engine.dispose()
    assert {"Priya Patel", "Marcus Lee", "Sofia Alvarez", "Jordan Kim", "Elena Rossi", "Sam Okafor"} <= names
    assert ("Marcus Lee", "mastercard", "4444", "4444") in saved  # his card on file paid his bill


def test_demo_holds_a_package_half_used_and_a_household_sharing_credit(database_url: str) -> None:
    assert _cli(database_url, "demo")[0] == 0
    db = Database(database_url)
    try:
        [practice] = list_practices(db)
        staff = Runner(db, get_processor())
        owner = Actor(practice_id=practice.id, user_id=None, role="owner")
        [nina] = staff.read(owner, list_clients, q="Nina Novak")
        [package] = staff.read(owner, list_packages, client_id=nina.id).data
        [grace] = staff.read(owner, list_clients, q="Grace Chen")
        [lily] = staff.read(owner, list_clients, q="Lily Chen")
        family = staff.read(owner, client_household, client_id=lily.id)
    finally:
        db.dispose()
    # Four $100 sessions: two $150 sessions billed, each $100 from the package and $50 discount.
    assert (package.name, package.sessions, package.sessions_used, package.sessions_remaining) == (
        "Four sessions",
        4,
        2,
        2,
    )
    assert (package.lot_remaining, nina.credit_balance, nina.balance_due) == (20000, 20000, 0)
    assert family is not None and family.name == "The Chen family" and family.share_credit
    assert {m.client_id for m in family.members} == {grace.id, lily.id}
    # Grace prepaid $300; Lily's $150 session was paid from it.
    assert (grace.credit_balance, lily.credit_balance, lily.balance_due) == (15000, 0, 0)
    assert (family.credit_balance, family.shared_credit, family.balance_due) == (15000, 15000, 0)


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


def test_deliver_events_sends_what_is_due_once_and_says_so(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE", "true")
    assert _cli(database_url, "init", "--practice", "Hook Clinic", "--email", "owner@hook.example")[0] == 0
    db = Database(database_url)
    try:
        [practice] = list_practices(db)
        owner = Actor(practice_id=practice.id, user_id=None, role="owner")
        with receiving(fail_first=1) as receiver:
            created = Runner(db, get_processor()).run(
                owner,
                create_endpoint,
                data=WebhookEndpointCreate(url=receiver.url, events=["payment.*"]),
                policy=UrlPolicy.from_env(),
            )
            paid = add_event(db, practice.id, "payment.created")
            add_event(db, practice.id, "bill.created")  # not asked for

            code, out = _cli(database_url, "deliver-events")
            assert code == 0, out
            assert "2 new events, 1 deliveries made; attempts: 0 delivered, 1 failed (to be retried)" in out
            code, out = _cli(database_url, "deliver-events")  # the retry is not due yet
            assert code == 0 and "0 new events, 0 deliveries made; attempts: 0 delivered, 0 failed" in out
        assert receiver.event_ids() == [paid]
        assert receiver.hits[0].headers["clientledger-signature"].startswith("t=")
        assert created.events == ["payment.*"]
    finally:
        db.dispose()
