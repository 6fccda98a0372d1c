"""Web UI tests over HTTP (no browser): the app, its database and signed-in staff of every role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api, app, cheap_password_hashing, database_url, db, http, owner
from tests.web.desk import Desk, signed_in

__all__ = ["app", "cheap_password_hashing", "database_url", "db", "desk", "http", "owner"]


@pytest.fixture
def desk(owner: Api, db: Database, http: TestClient) -> Desk:
    """The practice owner at the web UI."""
    return signed_in(owner, db, http)
