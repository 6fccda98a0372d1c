"""The ``clientledger`` command: init | serve | demo | verify | import-era."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clientledger.config import Settings
from clientledger.db import Database
from clientledger.journal.verify import verify as verify_ledger
from clientledger.migrate import upgrade

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Billing and client-credit ledger.")
console = Console()
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="CLIENTLEDGER_DATABASE_URL", help="Default: sqlite:///./clientledger.db"),
]


def _db(database_url: str | None) -> Database:
    return Database(Settings.from_env(database_url).database_url)


@app.command()
def init(
    practice: Annotated[str, typer.Option(help="Practice name (found or created)")],
    email: Annotated[str, typer.Option(help="Owner's email (found or created)")],
    password: Annotated[str | None, typer.Option(help="Owner's password (set when given)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create or upgrade the database, ensure the practice and its owner, print a new API token."""
    from clientledger.practices.service import ensure_practice_and_owner

    settings = Settings.from_env(database_url)
    db = Database(settings.database_url)
    upgrade(db)
    token = ensure_practice_and_owner(
        db, name=practice, email=email, password=password, ttl=timedelta(days=settings.token_ttl_days)
    )
    err.print(f"[green]Database ready[/green]; practice [bold]{practice}[/bold], owner {email}. API token:")
    print(token)


@app.command()
def verify(
    database_url: DatabaseUrl = None,
    repair: Annotated[bool, typer.Option("--repair", help="Settle card refunds left pending first")] = False,
) -> None:
    """Recompute every balance from the journal; exit 1 and list each violation if any is off."""
    db = _db(database_url)
    upgrade(db)
    if repair:
        from sqlalchemy import select

        from clientledger.models import practices
        from clientledger.payments.settlement import recover_pending_refunds

        with db.engine.connect() as conn:
            ids = list(conn.execute(select(practices.c.id)).scalars())
        done = recover_pending_refunds(db, ids)
        console.print(f"Pending refunds resolved: {done}")
    with db.engine.connect() as conn:
        problems = verify_ledger(conn)
    if problems:
        table = Table("violation", title=f"{len(problems)} invariant violations")
        for p in problems:
            table.add_row(p)
        console.print(table)
        raise typer.Exit(1)
    console.print("[green]OK[/green]: every balance matches the journal, and the journal balances.")


@app.command()
def demo(database_url: DatabaseUrl = None) -> None:
    """Load a demo practice holding every SEED.md case; prints how to log in."""
    from clientledger.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PRACTICE, load_demo

    db = _db(database_url)
    upgrade(db)
    created = load_demo(db)
    state = "created" if created else "already present"
    console.print(f"Demo practice [bold]{DEMO_PRACTICE}[/bold] {state}.")
    console.print(f"Log in with email [bold]{DEMO_EMAIL}[/bold] and password [bold]{DEMO_PASSWORD}[/bold].")


def main() -> None:
    app()
