"""Browser tests: a real uvicorn server per test module, Debian's chromium driven by Playwright.

The browser is ``/usr/bin/chromium`` (never a Playwright download). Where it is missing the tests
skip with a reason on a laptop and fail under ``CI=true`` (``.ci/run`` installs it with apt-get).
Each module gets a fresh SQLite database and a server on a free port; each test gets a fresh
browser context already logged in as the practice owner, and builds its own client's data.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Page

from clientledger.auth.sessions import start_session
from clientledger.db import Ctx, Database
from clientledger.main import create_app
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name
from tests.browser.helpers import OWNER_EMAIL, OWNER_PASSWORD, SESSION_COOKIE, LiveServer
from tests.factories import Ledger

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"CI=true but {CHROMIUM} is missing: .ci/run installs it with apt-get install chromium")
        pytest.skip("chromium not installed at /usr/bin/chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _build_app(database_url: str) -> tuple[FastAPI, Database]:
    """The real application, as ``clientledger serve`` builds it."""
    app = create_app(database_url)
    db: Database = app.state.runner.db
    return app, db


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'ledger.db'}"
    migrate_db = Database(database_url)
    upgrade(migrate_db)
    ensure_practice_and_owner(
        migrate_db, name="Calm Waters Therapy", email=OWNER_EMAIL, password=OWNER_PASSWORD, ttl=timedelta(days=1)
    )
    practice = find_practice_by_name(migrate_db, "Calm Waters Therapy")
    assert practice is not None
    migrate_db.dispose()
    app, db = _build_app(database_url)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn-browser-tests", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{port}",
            db=db,
            ledger=Ledger(db, Ctx(practice_id=practice.id), processor=app.state.runner.processor),
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


@pytest.fixture
def ledger(live_server: LiveServer) -> Ledger:
    return live_server.ledger


def log_in(context: BrowserContext, server: LiveServer) -> None:
    """A real session for the owner, as the login form would make it (the form has its own test)."""
    token, _ = start_session(server.db, email=OWNER_EMAIL, password=OWNER_PASSWORD, idle=timedelta(minutes=30))
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])


@pytest.fixture
def anonymous(live_server: LiveServer, new_context: Callable[..., BrowserContext]) -> Page:
    context = new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def staff(live_server: LiveServer, anonymous: Page) -> Page:
    """A page in a browser logged in as the practice owner."""
    log_in(anonymous.context, live_server)
    return anonymous
