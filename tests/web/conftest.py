"""Web UI tests over HTTP (no browser): the app, its database and signed-in staff of every role."""

from __future__ import annotations

from tests.api.conftest import app, cheap_password_hashing, database_url, db, http, owner

__all__ = ["app", "cheap_password_hashing", "database_url", "db", "http", "owner"]
