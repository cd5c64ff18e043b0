"""Mail commands: subscribers, approve, unapprove, send (and its test send),
send-confirmations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli._common import Context, handle_errors, opened_store, utcnow
from digest.cli.output import SendProgress, print_send_report, subscribers_json
from digest.mail.transport import outbox_folder, transport_for
from digest.models import SubscriberStatus
from digest.settings import Settings

if TYPE_CHECKING:  # types only: the commands import the use cases themselves, lazily
    from digest.mail.worker import SendReport
    from digest.store import Store


@click.group()
def subscribers() -> None:
    """Add, import, list, unsubscribe, reactivate and remove subscribers."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", help="The subscriber's name (used in the greeting).")
@click.option("--pending", is_flag=True, help="Add as pending (to be confirmed), not active.")
@click.pass_obj
@handle_errors
def add(obj: Context, email: str, name: str | None, pending: bool) -> None:
    """Add one subscriber (active unless --pending); never re-adds a suppressed address."""
    from digest.app.subscribe import add_subscriber  # lazy: the store (SQLAlchemy)

    status = SubscriberStatus.PENDING if pending else SubscriberStatus.ACTIVE
    with opened_store(obj.settings()) as store:
        subscriber = add_subscriber(store, email, name, status, utcnow())
    click.echo(f"added {subscriber.email} ({subscriber.status.value})")


@subscribers.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@handle_errors
def import_(obj: Context, path: Path) -> None:
    """Import a CSV with a header row (email[,name], or ; separated): all lines or none.
    Known and suppressed (unsubscribed, bounced, erased) addresses are skipped."""
    from digest.app.subscribe import import_subscribers  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        report = import_subscribers(store, path, utcnow())
    click.echo(f"imported {len(report.added)} subscribers from {path}")
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)}:", err=True)
        for problem in report.skipped:
            click.echo(f"  {problem}", err=True)


@subscribers.command("list")
@click.option("--status", type=click.Choice(["pending", "active", "unsubscribed", "bounced"]))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@handle_errors
def list_(obj: Context, status: str | None, as_json: bool) -> None:
    """List subscribers, optionally by status."""
    from digest.app.subscribe import list_subscribers  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        people = list_subscribers(store, SubscriberStatus(status) if status else None)
    if as_json:
        click.echo(json.dumps(subscribers_json(people), ensure_ascii=False, indent=2))
        return
    for p in people:
        click.echo(f"{p.email}\t{p.status.value}\t{p.name or ''}")
    click.echo(f"{len(people)} subscribers", err=True)


@subscribers.command("unsubscribe")
@click.argument("email")
@click.pass_obj
@handle_errors
def unsubscribe(obj: Context, email: str) -> None:
    """Unsubscribe someone for them; their row stays as the record not to mail them."""
    from digest.app import subscribe  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        person = subscribe.unsubscribe(store, email, utcnow(), subscribe.operator())
    click.echo(f"{person.email} is unsubscribed ({person.status_reason})")


@subscribers.command("reactivate")
@click.argument("email")
@click.pass_obj
@handle_errors
def reactivate(obj: Context, email: str) -> None:
    """Make a wrongly bounced or unsubscribed address active again (not a pending one:
    only their own confirmation does that). For an erased address, lift its suppression."""
    from digest.app import subscribe  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        person = subscribe.reactivate(store, email, utcnow(), subscribe.operator())
    if person is None:
        click.echo(f"{email}: suppression lifted; add them again with: digest subscribers add")
        return
    click.echo(f"{person.email} is {person.status.value}")


@subscribers.command("remove")
@click.argument("email")
@click.pass_obj
@handle_errors
def remove(obj: Context, email: str) -> None:
    """Erase a subscriber and their delivery history (a right-to-erasure request). To stop
    mailing someone, prefer `unsubscribe`: it keeps the record."""
    from digest.app import subscribe  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        person = subscribe.remove(store, email, utcnow())
    kept = "; a hash of the address is kept so no import re-adds it" if person.suppressed else ""
    click.echo(f"removed {person.email}{kept}")


@click.command()
@click.argument("number", type=int)
@click.pass_obj
@handle_errors
def approve(obj: Context, number: int) -> None:
    """Approve a draft issue for sending."""
    from digest.app.send import approve as approve_issue  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        approve_issue(store, number, utcnow())
    click.echo(f"issue {number} approved; send it with: digest send {number}")


@click.command()
@click.argument("number", type=int)
@click.pass_obj
@handle_errors
def unapprove(obj: Context, number: int) -> None:
    """Put an approved issue back to draft (refused once its send has started)."""
    from digest.app.issues import unapprove as unapprove_issue  # lazy: the store (SQLAlchemy)

    with opened_store(obj.settings()) as store:
        changed = unapprove_issue(store, number, utcnow())
    if changed:
        click.echo(f"issue {number} is a draft again; approve it with: digest approve {number}")
    else:
        click.echo(f"issue {number} is already a draft")


@click.command()
@click.argument("number", type=int)
@click.option("--dry-run", is_flag=True, help="Write the messages to the outbox; send nothing.")
@click.option("--connections", type=click.IntRange(min=1), help="SMTP connections at once.")
@click.option(
    "--test",
    "test_address",
    metavar="ADDRESS",
    help="Send the issue (even a draft) to this one address, subject prefixed [TEST]; "
    "no delivery is recorded and the issue's status stays as it is.",
)
@click.pass_obj
@handle_errors
def send(
    obj: Context, number: int, dry_run: bool, connections: int | None, test_address: str | None
) -> None:
    """Deliver an approved issue to every active subscriber; safe to re-run."""
    from digest.mail.identity import require_key_to_send  # lazy: the store (SQLAlchemy)

    settings = obj.settings()
    if test_address is not None and (dry_run or connections):
        raise click.UsageError("--test sends one message: not with --dry-run or --connections")
    if not dry_run:
        require_key_to_send(settings, "digest send")
    with opened_store(settings) as store:
        if test_address is not None:
            _test_send(store, settings, number, test_address)
            return
        if dry_run:
            _dry_run(store, settings, number)
            return
        report = deliver(store, settings, number, connections)
    if not report.complete:
        raise SystemExit(1 if report.stopped else 0)


def deliver(
    store: Store, settings: Settings, number: int, connections: int | None = None
) -> SendReport:
    """Send with a progress bar, then print the summary (shared by send and run)."""
    from digest.app.send import send_issue  # lazy: the store, the renderer

    transport = transport_for(settings, number)
    with SendProgress() as progress:
        report = send_issue(
            store,
            settings,
            number,
            transport,
            clock=utcnow,
            on_progress=progress.advance,
            on_total=progress.start_total,
            connections=connections,
        )
    print_send_report(report, transport)
    return report


def _test_send(store: Store, settings: Settings, number: int, address: str) -> None:
    from digest.app.test_send import TEST_SEND_WINDOW, send_test  # lazy: the store, renderer

    result = send_test(store, settings, number, address, utcnow())
    click.echo(
        f"test of issue {number} sent to {result.address} via {result.transport} "
        f"({result.destination}): {result.subject}"
    )
    minutes = TEST_SEND_WINDOW.seconds // 60
    click.echo(
        f"no delivery recorded; issue {number} is still {result.status.value}; "
        f"{result.left} more test send(s) allowed in this {minutes}-minute window"
    )


def _dry_run(store: Store, settings: Settings, number: int) -> None:
    from digest.app.send import preview_messages  # lazy: the store, the renderer

    folder = outbox_folder(settings, number, dry_run=True)
    result = preview_messages(store, settings, number, folder)
    click.echo(
        f"dry run: {result.written} messages written to {folder}; nothing sent, ledger untouched"
    )
    for email, why in result.failed:
        click.echo(f"  could not build the message for {email}: {why}")


@click.command("send-confirmations")
@click.pass_obj
@handle_errors
def send_confirmations(obj: Context) -> None:
    """Mail the queued subscription confirmations now (serve does it every few seconds)."""
    from digest.app.subscribe import send_confirmations as send_queued  # lazy: the store

    settings = obj.settings()
    with opened_store(settings) as store:
        report = send_queued(store, settings, utcnow())
    click.echo(f"{report.sent} confirmation(s) sent, {len(report.failed)} failed")
    for failure in report.failed:
        click.echo(f"  {failure}", err=True)
    if report.failed:
        raise SystemExit(1)


COMMANDS = (subscribers, approve, unapprove, send, send_confirmations)
