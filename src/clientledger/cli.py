"""The ``clientledger`` command: init | serve | demo | verify | import-era | deliver-events."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table

from clientledger.accounting.verify import verify as verify_ledger
from clientledger.db import Database
from clientledger.kit.config import Settings
from clientledger.kit.money import format_cents
from clientledger.migrate import upgrade

if TYPE_CHECKING:
    from clientledger.service_layer import Actor, Runner
    from clientledger.webhooks.delivery import DeliveryThread

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
        from clientledger.payments.processors import get_processor
        from clientledger.payments.refunds import recover_pending_refunds
        from clientledger.practices.repository import practice_ids

        done = recover_pending_refunds(db, practice_ids(db), processor=get_processor())
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
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; they share the database")] = 1,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request")] = True,
    deliver_events: Annotated[
        bool,
        typer.Option("--deliver-events/--no-deliver-events", help="Run the webhook delivery worker in this process"),
    ] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the API (and docs at /docs): migrate once, then run uvicorn with N workers.

    The webhook delivery worker runs once per ``serve``, as a thread of this process (the
    supervisor when N > 1), never in the API workers: N workers still make one worker.
    """
    url = Settings.from_env(database_url).database_url
    db = Database(url)
    upgrade(db)
    db.dispose()
    delivery = _delivery_thread(url) if deliver_events else None
    if delivery is not None:
        _exit_on_sigterm()
        delivery.start()
    try:
        _serve(url, host=host, port=port, workers=workers, access_log=access_log)
    finally:
        if delivery is not None:
            delivery.stop()
            delivery.worker.db.dispose()


def _exit_on_sigterm() -> None:
    """SIGTERM raises SystemExit here, so the worker is stopped: uvicorn re-raises the signal it caught
    once it has shut down, which by default would end the process before ``finally`` runs."""
    import signal

    def _exit(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)


def _delivery_thread(url: str) -> DeliveryThread:
    from clientledger.webhooks.delivery import DeliveryThread, DeliveryWorker

    return DeliveryThread(DeliveryWorker(Database(url)))


def _serve(url: str, *, host: str, port: int, workers: int, access_log: bool) -> None:
    """uvicorn: in this process with one worker, else a supervisor of N worker processes (spawned)."""
    import os
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # Worker processes build their own app (factory=True) and read the URL from the environment.
    os.environ["CLIENTLEDGER_DATABASE_URL"] = url
    typer.echo(f"clientledger serving at http://{host}:{port}/ (API docs: http://{host}:{port}/docs)", err=True)
    app_path = "clientledger.main:create_app"
    # uvloop and httptools (uvicorn[standard]) named, not left to "auto": a missing one fails at start.
    if workers == 1:
        uvicorn.run(
            app_path,
            factory=True,
            host=host,
            port=port,
            access_log=access_log,
            log_level="info",
            loop="uvloop",
            http="httptools",
        )
        return
    # uvicorn.run would bind the shared socket with proto 0, and asyncio turns Nagle off (TCP_NODELAY)
    # only on sockets whose proto is IPPROTO_TCP: every answer's body then waited for the client's
    # delayed ACK, ~40 ms per request. So the workers share the same socket declared as TCP, with
    # TCP_NODELAY on the listener too (accepted connections inherit it, whatever the event loop).
    config = uvicorn.Config(
        app_path,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
        loop="uvloop",
        http="httptools",
    )
    bound = config.bind_socket()
    sock = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


@app.command("deliver-events")
def deliver_events(database_url: DatabaseUrl = None) -> None:
    """Send the outbox's due webhook deliveries once (new events fanned out first), print the counts, exit."""
    from clientledger.webhooks.delivery import DeliveryWorker

    db = _db(database_url)
    upgrade(db)
    report = DeliveryWorker(db).run_once()
    db.dispose()
    console.print(
        f"{report.events} new events, {report.deliveries} deliveries made; attempts: {report.delivered} delivered, "
        f"{report.failed} failed (to be retried), {report.abandoned} abandoned.",
        soft_wrap=True,
    )


@app.command()
def demo(database_url: DatabaseUrl = None) -> None:
    """Load a demo practice holding every SEED.md case; prints how to log in."""
    from clientledger.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PRACTICE, load_demo
    from clientledger.payments.processors import get_processor

    db = _db(database_url)
    upgrade(db)
    created = load_demo(db, get_processor())
    state = "created" if created else "already present"
    console.print(f"Demo practice [bold]{DEMO_PRACTICE}[/bold] {state}.")
    console.print(f"Log in with email [bold]{DEMO_EMAIL}[/bold] and password [bold]{DEMO_PASSWORD}[/bold].")


@app.command("import-era")
def import_era(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="An X12 835 file")],
    practice: Annotated[str | None, typer.Option(help="Practice name; default: the only one")] = None,
    user: Annotated[str | None, typer.Option(help="Act as this staff member (email); default: the first owner")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Post an 835 remittance: claim by claim, with a progress bar, then a summary; exit 1 if the file is invalid."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from clientledger.insurance.era835 import InvalidRemittance
    from clientledger.insurance.importer import import_remittance
    from clientledger.insurance.report import LISTED
    from clientledger.kit.errors import Forbidden

    db = _db(database_url)
    upgrade(db)
    runner = _runner(db)
    actor = _actor(db, practice, user, request_id="cli-import-era")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                label = "Reading claims" if phase == "reading" else "Posting claims"
                tasks[phase] = bar.add_task(label, total=total)
                if phase == "posting" and "reading" in tasks:  # reading is over: its count is the total
                    bar.update(tasks["reading"], total=total, completed=total)
            bar.update(tasks[phase], completed=done, total=total)

        try:
            report = runner.run(actor, import_remittance, source=file, progress=progress)
        except (InvalidRemittance, Forbidden) as exc:
            err.print(f"[red]Not imported[/red]: {exc.message}")
            raise typer.Exit(1) from exc
    t = report.totals
    shown = report.listed if t.claims <= LISTED else [c for c in report.listed if c.result != "posted"]
    table = Table(title=f"835 {report.trace} from {report.payer_name}", box=box.SIMPLE_HEAD)
    table.add_column("claim_ref", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("bill", overflow="fold")
    table.add_column("credits", justify="right")
    table.add_column("reason", min_width=20)
    colors = {"posted": "green", "duplicate": "cyan", "unmatched": "yellow", "unbalanced": "red"}
    for c in shown:
        credits = sum(x.amount for x in c.credits_created)
        table.add_row(
            c.claim_ref,
            f"[{colors[c.result]}]{c.result}[/]",
            c.bill_id or "",
            format_cents(credits) if credits else "",
            c.reason or "",
        )
    console.print(table)
    if len(shown) < t.claims:
        console.print(f"({t.claims - len(shown)} posted claims not listed)")
    console.print(
        f"{t.claims} claims: {t.posted} posted, {t.duplicate} duplicate, {t.unmatched} unmatched, "
        f"{t.unbalanced} unbalanced; paid {format_cents(t.paid_posted)}, "
        f"credits created {format_cents(t.credits_created_amount)}. Import id {report.id}.",
        soft_wrap=True,
    )
    for warning in report.warnings:
        console.print(f"[yellow]Warning[/yellow]: {warning}", soft_wrap=True)


def _runner(db: Database) -> Runner:
    from clientledger.payments.processors import get_processor
    from clientledger.service_layer import Runner

    return Runner(db, get_processor())


def _actor(db: Database, practice: str | None, email: str | None, *, request_id: str) -> Actor:
    """Who the command acts as: a staff member of the named (or only) practice, by default its first
    owner. Their role is checked by the use case, exactly as on the web and in the API."""
    from clientledger.practices.repository import find_staff, list_practices
    from clientledger.service_layer import Actor

    found = [p for p in list_practices(db) if practice is None or p.name == practice]
    if practice is None and len(found) > 1:
        names = ", ".join(repr(p.name) for p in found)
        err.print(f"[red]Several practices[/red] ({names}): choose one with --practice.")
        raise typer.Exit(2)
    if not found:
        err.print(
            f"[red]No practice[/red] {practice!r}." if practice else "[red]No practice yet[/red]: run init first."
        )
        raise typer.Exit(2)
    member = find_staff(db, found[0].id, email=email) if email else find_staff(db, found[0].id, role="owner")
    if member is None:
        err.print(f"[red]No staff member[/red] {email!r} in {found[0].name!r}." if email else "[red]No owner[/red].")
        raise typer.Exit(2)
    return Actor(practice_id=found[0].id, user_id=member.id, role=member.role, request_id=request_id)


def main() -> None:
    app()
