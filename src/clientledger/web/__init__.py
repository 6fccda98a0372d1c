"""The web UI: server-rendered pages (FastAPI + Jinja2) with htmx, on the same services as the API.

``create_app()`` calls ``install(app)``; every page acts through ``app.state.runner``.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clientledger import documents
from clientledger.kit.config import Settings
from clientledger.web.routes import web_routes
from clientledger.web.routes.insurance import ERA_UPLOAD_PATH
from clientledger.web.templating import STATIC_DIR


def install(app: FastAPI, *, session_idle: timedelta | None = None) -> None:
    """Mount ``/static`` and the pages. ``session_idle``: idle timeout (default: settings, 30 minutes)."""
    if session_idle is None:
        session_idle = timedelta(minutes=Settings.from_env().session_idle_minutes)
    app.state.web_session_idle = session_idle
    # The documents' stylesheet, the one their PDF files print with, before the rest of /static.
    app.mount("/static/documents", StaticFiles(directory=documents.STATIC_DIR), name="document-static")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(web_routes())


__all__ = ["ERA_UPLOAD_PATH", "install"]
