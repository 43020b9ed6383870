"""The `commission` command line: the optimiser's commands plus the service's."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn, get_args

import typer

from models.schema import shown
from optimiser.cli import EXIT_INVALID, CommissionCommand, fail
from optimiser.cli import app as app  # re-exported: the `commission` app, serve and keys added here

if TYPE_CHECKING:
    from api.settings import Settings

# The values of api.orm.Role (tests/test_imports.py holds them equal): the service's modules,
# and SQLAlchemy with them, are imported only by the commands that use them.
RoleName = Literal["admin", "commissioner", "negotiator"]
ROLES = get_args(RoleName)
MAX_PORT = 65_535  # TCP ports are 16-bit; 0 lets the system choose one
EXIT_INTERRUPTED = 128 + signal.SIGINT  # `serve` stopped by Ctrl+C: 130, as a shell counts it

database = typer.Typer(help="The service's database.", no_args_is_help=True)
keys = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(database, name="db")
app.add_typer(keys, name="keys")


def refuse(message: str) -> NoReturn:
    """One plain `error:` line (never wrapped, whatever the terminal) and exit 2: bad input."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_INVALID)


def service_settings() -> Settings:
    """The service's settings, with its database checked (``api.db.service_settings``): a bad
    COMMISSION_* variable or a wrong or unreachable database is one line and exit 2."""
    from api.db import ServiceUnusable
    from api.db import service_settings as checked

    try:
        return checked()
    except ServiceUnusable as error:
        refuse(str(error))


@app.command(cls=CommissionCommand)  # a bad --workers or --port in the product's words
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Job worker processes (default: COMMISSION_WORKERS, else 2).", min=0)
    ] = None,
) -> None:
    """Run the HTTP API and its job workers (configured by COMMISSION_* variables)."""
    # Checked before the service starts (and migrates its database), not left to bind() to refuse.
    if not 0 <= port <= MAX_PORT:
        fail(EXIT_INVALID, f"--port: must be 0 to {MAX_PORT:,} (got {shown(port)})")
    settings = service_settings()  # before the service starts to listen
    import uvicorn

    from api.main import create_app
    from api.protocol import head_timed_protocol

    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    interrupted = threading.Event()

    def on_interrupt(_signum: int, _frame: object) -> None:
        # uvicorn takes SIGINT while it serves, shuts down cleanly, then raises the signal again to
        # this handler and swallows the KeyboardInterrupt: noted, to exit as Ctrl+C does (130).
        interrupted.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        # Past this many connections and requests at once uvicorn answers 503 rather than
        # taking more; idle connections close after keep_alive_s (audit 12 #6).
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_s,
        # uvicorn's h11 protocol with a limit on a request's line and headers (api/protocol.py).
        http=head_timed_protocol(settings.header_read_timeout_s),
    )
    if interrupted.is_set():  # after SIGTERM uvicorn ends by that signal itself (143 in a shell)
        raise typer.Exit(EXIT_INTERRUPTED)


@database.command("upgrade")
def upgrade() -> None:
    """Apply the database migrations (COMMISSION_DATABASE_URL)."""
    from api.db import upgrade_database

    upgrade_database(service_settings().database_url)
    typer.echo("the database is up to date", err=True)


@keys.command("create")
def create_key(
    org: Annotated[str, typer.Option("--org", help="Organisation (created if new).")],
    role: Annotated[RoleName, typer.Option("--role", help="admin, commissioner or negotiator.")],
    label: Annotated[str | None, typer.Option(help="A note on who holds the key.")] = None,
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    from api import crud
    from api.db import create_db_engine, create_session_factory, upgrade_database
    from api.orm import Role
    from api.schemas import text_problem

    problem = text_problem("--org", org, 100) or (text_problem("--label", label, 200) if label is not None else None)
    if problem:
        refuse(problem)
    settings = service_settings()
    upgrade_database(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            organisation = crud.get_or_create_organisation(session, org)
            key, token = crud.create_key(session, organisation, Role(role), label)
            typer.echo(
                f"created key {key.public_id} (starts {key.prefix}, {role}) for {org}; revoke it with"
                f" DELETE /keys/{key.public_id}; the key is shown only this once:",
                err=True,
            )
    finally:
        engine.dispose()
    typer.echo(token)


@app.command(cls=CommissionCommand)  # a bad --older-than-days in the product's words
def purge(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            "--older-than-days",
            min=1,
            help="Also erase what has not been used for this many days (default: COMMISSION_RETENTION_DAYS).",
        ),
    ] = None,
) -> None:
    """Erase what the service no longer keeps: the content of deleted scenarios, ended desk sessions,
    and with a retention period, jobs and scenarios unused for longer (docs/api.md "Storage")."""
    from api import crud
    from api.db import create_db_engine, create_session_factory, upgrade_database
    from optimiser.deliverability.wording import purge_summary

    settings = service_settings()
    days = older_than_days if older_than_days is not None else settings.retention_days
    upgrade_database(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            scenarios, jobs = crud.purge(session, days)
    finally:
        engine.dispose()
    typer.echo(purge_summary(scenarios, jobs, days), err=True)


def main() -> None:
    app()
