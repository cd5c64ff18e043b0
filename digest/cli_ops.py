"""Operations commands: serve. Registered on the main group by digest.cli."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from digest.cli import Context, _handle_errors, _opened_store, main
from digest.settings import Settings


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address of the web endpoints."
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the web endpoints.",
)
@click.option("--no-web", is_flag=True, help="Run the scheduler only.")
@click.pass_obj
@_handle_errors
def serve(obj: Context, host: str, port: int, no_web: bool) -> None:
    """Run the schedule (and the web endpoints) as a service, until SIGTERM."""
    from digest.mail.identity import require_key_to_send, require_signing_key
    from digest.scheduler import serve as run_service
    from digest.store import open_store

    settings = obj.settings()
    if not no_web:  # the endpoints act on signed links anyone can hold
        require_signing_key(settings, "digest serve (the web endpoints)")
    require_key_to_send(settings, "digest serve (the scheduled send)")
    store = open_store(settings.database_url)
    app = None if no_web else _web_app(settings)
    run_service(
        store,
        settings,
        host=host,
        port=port,
        app=app,
        announce=lambda line: click.echo(line, err=True),
    )


@main.command("send-confirmations")
@click.pass_obj
@_handle_errors
def send_confirmations(obj: Context) -> None:
    """Mail the queued subscription confirmations now (serve does it every few seconds)."""
    from digest.mail.confirm import send_confirmations as send_queued
    from digest.store import utcnow

    settings = obj.settings()
    with _opened_store(settings) as store:
        report = send_queued(store, settings, utcnow())
    click.echo(f"{report.sent} confirmation(s) sent, {len(report.failed)} failed")
    for failure in report.failed:
        click.echo(f"  {failure}", err=True)
    if report.failed:
        raise SystemExit(1)


def _web_app(settings: Settings) -> Callable[..., Any]:
    """The public web application: archive, feed, health, subscribe and unsubscribe."""
    from digest.web.public import make_public_app

    return make_public_app(settings)
