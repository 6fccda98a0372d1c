"""Logging in and out, the idle timeout, and the practice's "auto-apply credit" switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from clientledger.auth.passwords import token_digest
from clientledger.db import utcnow
from clientledger.models import api_tokens
from tests.browser.helpers import OWNER_EMAIL, OWNER_PASSWORD, SESSION_COOKIE, SESSION_DAY, LiveServer, flash
from tests.factories import Ledger

pytestmark = pytest.mark.browser


def test_log_in_log_out_and_pages_need_a_login(anonymous: Page, ledger: Ledger) -> None:
    client = ledger.client("Login Lou")
    anonymous.goto(f"/clients/{client.id}")
    expect(anonymous).to_have_url(re.compile(r"/login\?next="))
    expect(anonymous.get_by_role("heading", name="Log in")).to_be_visible()

    anonymous.get_by_label("Email").fill(OWNER_EMAIL)
    anonymous.get_by_label("Password").fill("not-the-password")
    anonymous.get_by_role("button", name="Log in").click()
    expect(anonymous.get_by_role("alert")).to_have_text("Email or password is incorrect.")

    anonymous.get_by_label("Password").fill(OWNER_PASSWORD)
    anonymous.get_by_role("button", name="Log in").click()
    expect(anonymous.get_by_role("heading", name="Login Lou")).to_be_visible()  # back where we were going
    cookie = next(c for c in anonymous.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"

    anonymous.get_by_role("button", name="Log out").click()
    expect(anonymous.get_by_role("heading", name="Log in")).to_be_visible()
    anonymous.goto("/clients")
    expect(anonymous).to_have_url(re.compile(r"/login\?next=/clients"))


def test_an_idle_session_ends(staff: Page, live_server: LiveServer) -> None:
    staff.goto("/clients")
    expect(staff.get_by_role("heading", name="Clients")).to_be_visible()
    token = next(c["value"] for c in staff.context.cookies() if c["name"] == SESSION_COOKIE)
    with live_server.db.engine.begin() as conn:  # 30 minutes pass without a request
        conn.execute(
            update(api_tokens)
            .where(
                api_tokens.c.practice_id == live_server.ledger.ctx.practice_id,
                api_tokens.c.token_hash == token_digest(token),
            )
            .values(expires_at=utcnow())
        )
    staff.reload()
    expect(staff.get_by_role("heading", name="Log in")).to_be_visible()
    expect(staff.get_by_role("status")).to_contain_text("Your session ended after 30 minutes without activity")


def test_auto_apply_credit_switch_sets_the_new_bill_default(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Switch Sue")
    ledger.prepay(client.id, "cash", 3000)
    ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    staff.goto("/settings")
    switch = staff.get_by_role("switch", name="Auto-apply credit")
    expect(switch).to_be_checked()
    try:
        switch.uncheck()
        staff.get_by_role("button", name="Save").click()
        expect(flash(staff)).to_have_text("Settings saved.")
        expect(staff.get_by_role("switch", name="Auto-apply credit")).not_to_be_checked()

        staff.goto(f"/clients/{client.id}/bills/new")
        expect(staff.get_by_role("checkbox", name="Available Credit ($30.00)")).not_to_be_checked()
        staff.get_by_role("button", name="Create bill").click()
        expect(flash(staff)).to_have_text("Bill created.")
        bill = ledger.get_bill(staff.url.rsplit("/", 1)[1])
        assert bill.lines == [] and bill.apply_available_credit is False
        assert ledger.get_client(client.id).credit_balance == 3000
    finally:
        staff.goto("/settings")
        staff.get_by_role("switch", name="Auto-apply credit").check()
        staff.get_by_role("button", name="Save").click()
        expect(flash(staff)).to_have_text("Settings saved.")


def test_a_form_post_without_the_csrf_token_is_refused(staff: Page, ledger: Ledger, live_server: LiveServer) -> None:
    client = ledger.client("Forged Fay")
    staff.goto(f"/clients/{client.id}/billing")  # logged in: the session cookie goes with the request
    response = staff.request.post(
        f"{live_server.url}/clients/{client.id}/billing/credits/new",
        form={"amount": "500", "reason": "courtesy", "nonce": "forged-form-nonce-0001"},
        max_redirects=0,
    )
    assert response.status == 403
    assert "nothing was changed" in response.text()
    assert ledger.credits(client.id).balance == 0
