"""Settings read from the environment (the CLI's ``--database-url`` overrides the URL)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./clientledger.db"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    processor: str = "simulated"
    token_ttl_days: int = 30
    session_idle_minutes: int = 30
    #: Largest request body accepted (413 above it), and the larger one of an upload (an 835 file).
    max_body_bytes: int = MIB
    max_upload_bytes: int = 25 * MIB
    #: The signing secret of the Stripe webhook endpoint (``whsec_...``); without it every event is refused.
    stripe_webhook_secret: str | None = None

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        return cls(
            database_url=database_url or os.environ.get("CLIENTLEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            processor=os.environ.get("CLIENTLEDGER_PROCESSOR", "simulated"),
            token_ttl_days=int(os.environ.get("CLIENTLEDGER_TOKEN_TTL_DAYS", "30")),
            session_idle_minutes=int(os.environ.get("CLIENTLEDGER_SESSION_IDLE_MINUTES", "30")),
            max_body_bytes=int(os.environ.get("CLIENTLEDGER_MAX_BODY_BYTES", str(MIB))),
            max_upload_bytes=int(os.environ.get("CLIENTLEDGER_MAX_UPLOAD_BYTES", str(25 * MIB))),
            stripe_webhook_secret=os.environ.get("CLIENTLEDGER_STRIPE_WEBHOOK_SECRET") or None,
        )
