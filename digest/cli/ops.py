"""Operations commands: run (the whole cycle once), status, preview, serve, check."""

from __future__ import annotations

import json

import click

from digest.cli._common import Context, handle_errors, opened_reader, opened_store, utcnow
from digest.cli.issues import echo_build
from digest.cli.output import (
    IngestProgress,
    print_ingest_report,
    print_readiness,
    print_status,
    readiness_json,
    status_json,
)


@click.command()
@click.pass_obj
@handle_errors
def run(obj: Context) -> None:
    """Ingest, build, render and send once, as the schedule would."""
    # lazy: the store, the fetchers, the summarizer, the renderer, the mail stage
    from digest.app.build import run_once
    from digest.app.ingest import count_sources
    from digest.app.render import run_render
    from digest.app.send import release_after_build
    from digest.cli.mail import deliver  # and the mail commands: smtplib, ssl, email
    from digest.mail.identity import require_key_to_send
    from digest.mail.transport import outbox_folder

    settings = obj.settings()
    require_key_to_send(settings, "digest run")
    with opened_store(settings) as store:
        with IngestProgress(count_sources(settings)) as progress:
            result = run_once(store, settings, utcnow(), on_source_done=progress.advance)
        print_ingest_report(result.ingest)
        echo_build(result.build, settings)
        release = release_after_build(store, settings, result.build.issue, utcnow())
        if release.quick_start_approved:
            click.echo(
                f"quick start: issue {release.send} approved for the offline outbox; "
                f"anywhere else a draft waits for: digest approve {release.send}"
            )
        for number in (release.waiting, release.send):
            if number is not None:
                folder = outbox_folder(settings, number) / "rendered"
                output = run_render(store, settings, number, folder, utcnow())
                click.echo(f"rendered issue {number}: open {output.folder / 'issue.html'}")
        if release.waiting is not None:
            click.echo(
                f"issue {release.waiting} is a draft: review it (digest preview), then "
                f"digest approve {release.waiting} and digest send {release.waiting}"
            )
        if release.send is None:
            return
        report = deliver(store, settings, release.send)
    if report.stopped:
        raise SystemExit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@handle_errors
def status(obj: Context, as_json: bool) -> None:
    """Sources, the schedule and the last job runs, the current issue and its deliveries."""
    from digest.app.status import snapshot  # lazy: the store (SQLAlchemy Core), APScheduler

    settings = obj.settings()
    with opened_reader(settings) as store:
        state = snapshot(store, settings, utcnow())
    if as_json:
        click.echo(json.dumps(status_json(state), ensure_ascii=False, indent=2))
    else:
        print_status(state, settings.database_url, settings.timezone)


@click.command()
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.pass_obj
@handle_errors
def preview(obj: Context, port: int) -> None:
    """Local web server for editors (127.0.0.1 only): each issue exactly as it is sent."""
    from digest.web.preview import PreviewApp, serve_preview  # lazy: the store, the renderer

    settings = obj.settings()
    with opened_store(settings) as store:
        app = PreviewApp(store, settings.config_path)
        serve_preview(app, port, announce=lambda line: click.echo(line, err=True))


@click.command()
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
@handle_errors
def serve(obj: Context, host: str, port: int, no_web: bool) -> None:
    """Run the schedule (and the web endpoints) as a service, until SIGTERM."""
    # lazy: the scheduler's jobs import every use case, the web apps the renderer
    from digest.mail.identity import require_key_to_send, require_signing_key
    from digest.scheduler import serve as run_service
    from digest.store import open_store
    from digest.web.public import make_public_app

    settings = obj.settings()
    if not no_web:  # the endpoints act on signed links anyone can hold
        require_signing_key(settings, "digest serve (the web endpoints)")
    require_key_to_send(settings, "digest serve (the scheduled send)")
    store = open_store(settings.database_url)
    app = None if no_web else make_public_app(settings)
    run_service(
        store,
        settings,
        host=host,
        port=port,
        app=app,
        announce=lambda line: click.echo(line, err=True),
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@handle_errors
def check(obj: Context, as_json: bool) -> None:
    """What production needs and what is missing (exit 1 when something required is):
    HTTPS base_url, DIGEST_SECRET_KEY, SMTP reachable, From domain, DKIM and its DNS record,
    SPF, DMARC, the reverse proxy."""
    from digest.app.check import check_production  # lazy: smtplib, the DKIM key parser

    readiness = check_production(obj.settings())
    if as_json:
        click.echo(json.dumps(readiness_json(readiness), ensure_ascii=False, indent=2))
    else:
        print_readiness(readiness)
    if not readiness.ready:
        raise SystemExit(1)


COMMANDS = (run, status, preview, serve, check)
