"""The command line: the composition root. Parses, loads the settings once, sets up logging,
opens the store, calls a stage, prints. Errors the user can fix are caught here and turned
into a message and an exit code: 0 success, 1 the job failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from digest.config import load_settings, resolve_config_path
from digest.errors import DigestError
from digest.settings import Settings

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    config: str | None
    offline: bool

    def settings(self) -> Settings:
        settings = load_settings(resolve_config_path(self.config, os.environ))
        if self.offline and not settings.offline:
            from dataclasses import replace

            settings = replace(settings, offline=True)
        return settings


def _handle_errors(func: F) -> F:
    """Print a DigestError as a message (and hint) and exit with its code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DigestError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _opened_store(settings: Settings) -> Iterator[Any]:
    from digest.store import open_store

    store = open_store(settings.database_url)
    try:
        yield store
    finally:
        store.close()


def _setup_logging(level_name: str) -> None:
    level = getattr(logging, level_name.upper(), None)
    if not isinstance(level, int):
        raise click.BadParameter(f"unknown log level {level_name!r}", param_hint="--log-level")
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    metavar="PATH",
    help="Configuration file (default: $DIGEST_CONFIG, else ./feeds.yaml).",
)
@click.option("--offline", is_flag=True, help="Skip network sources; read documents only.")
@click.option(
    "--log-level",
    default=lambda: os.environ.get("DIGEST_LOG_LEVEL", "WARNING"),
    show_default="WARNING, or $DIGEST_LOG_LEVEL",
    help="Logging threshold.",
)
@click.version_option(package_name="digest")
@click.pass_context
def main(ctx: click.Context, config: str | None, offline: bool, log_level: str) -> None:
    """digest: builds and mails a French AI-news newsletter."""
    _setup_logging(log_level)
    ctx.obj = Context(config=config, offline=offline)


@main.command()
@click.option("--source", metavar="NAME", help="Only this source (forced past any backoff).")
@click.pass_obj
@_handle_errors
def ingest(obj: Context, source: str | None) -> None:
    """Fetch documents and feeds into the store."""
    from digest.ingest.run import run_ingest
    from digest.report import IngestProgress, database_location, print_ingest_report
    from digest.store import utcnow

    settings = obj.settings()
    with _opened_store(settings) as store:
        total = 1 if source else _count_sources(settings)
        with IngestProgress(total) as progress:
            report = run_ingest(settings, store, utcnow(), only=source, on_done=progress.advance)
    print_ingest_report(report)
    click.echo(
        f"stored in {database_location(settings.database_url)}; list them with: digest items"
    )


def _count_sources(settings: Settings) -> int:
    from digest.ingest.run import source_names

    enabled = {f.name for f in settings.feeds if f.enabled}
    feed_names = {f.name for f in settings.feeds}
    return sum(1 for n in source_names(settings) if n not in feed_names or n in enabled)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@_handle_errors
def status(obj: Context, as_json: bool) -> None:
    """Sources, the schedule and the last job runs, the current issue and its deliveries."""
    from digest.report import print_status, status_json
    from digest.status import snapshot
    from digest.store import utcnow

    settings = obj.settings()
    with _opened_store(settings) as store:
        state = snapshot(store, settings, utcnow())
    if as_json:
        click.echo(json.dumps(status_json(state), ensure_ascii=False, indent=2))
    else:
        print_status(state, settings.database_url)


@main.command()
@click.option("--source", metavar="NAME", help="Only the items of this source.")
@click.option("--json", "as_json", is_flag=True, help="Stable JSON (see README: items JSON).")
@click.pass_obj
@_handle_errors
def items(obj: Context, source: str | None, as_json: bool) -> None:
    """List the stored stories, so an editor can see what came in."""
    from digest.report import items_json, print_items

    settings = obj.settings()
    with _opened_store(settings) as store:
        stored = store.list_items(source)
    if as_json:
        click.echo(json.dumps(items_json(stored), ensure_ascii=False, indent=2))
    else:
        print_items(stored)


class _DateParam(click.ParamType):  # type: ignore[type-arg]  # generic in click 8.2+
    """YYYY-MM-DD or an ISO 8601 date-time; without a zone, in the newsletter's timezone."""

    name = "DATE"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from datetime import datetime

        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (use YYYY-MM-DD or 2026-11-20T08:00)", param, ctx)


def _aware(value: Any, timezone: str) -> Any:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(UTC)


@main.command()
@click.option("--since", type=_DateParam(), help="Start of the period (default: last sent issue).")
@click.option("--until", type=_DateParam(), help="End of the period (default: now).")
@click.pass_obj
@_handle_errors
def build(obj: Context, since: Any, until: Any) -> None:
    """Summarise the period's items into a draft issue; prints its number."""
    from digest.pipeline import run_build
    from digest.store import utcnow

    settings = obj.settings()
    with _opened_store(settings) as store:
        result = run_build(
            store,
            settings,
            utcnow(),
            since=_aware(since, settings.timezone),
            until=_aware(until, settings.timezone),
        )
    _echo_build(result, settings)
    if result.issue is not None:
        click.echo(str(result.issue.number))


def _echo_build(result: Any, settings: Settings) -> None:
    from digest.report import database_location

    if result.issue is None:
        click.echo(
            f"nothing new between {result.period.start:%Y-%m-%d %H:%M} and "
            f"{result.period.end:%Y-%m-%d %H:%M} UTC: no issue built "
            "(run digest ingest, or widen the period with --since)"
        )
        return
    issue = result.issue
    verb = "rebuilt draft" if result.replaced_draft else "built draft"
    click.echo(
        f"{verb} issue {issue.number}: {len(issue.sections)} sections, "
        f"{len(issue.entries)} entries (in {database_location(settings.database_url)}; "
        f"see it with: digest show {issue.number})"
    )


@main.command()
@click.pass_obj
@_handle_errors
def run(obj: Context) -> None:
    """Ingest, build, render and send once, as the schedule would."""
    from digest.cli_mail import deliver
    from digest.mail.identity import require_key_to_send
    from digest.mail.transport import outbox_folder
    from digest.pipeline import ensure_demo_subscriber, issue_to_send, run_once, run_render
    from digest.report import IngestProgress, print_ingest_report
    from digest.store import utcnow

    settings = obj.settings()
    require_key_to_send(settings, "digest run")
    with _opened_store(settings) as store:
        with IngestProgress(_count_sources(settings)) as progress:
            result = run_once(store, settings, utcnow(), on_source_done=progress.advance)
        print_ingest_report(result.ingest)
        _echo_build(result.build, settings)
        number = issue_to_send(store, result.build.issue)
        if number is None:
            return
        folder = outbox_folder(settings, number) / "rendered"
        output = run_render(store, settings, number, folder, utcnow())
        click.echo(f"rendered issue {number}: open {output.folder / 'issue.html'}")
        ensure_demo_subscriber(store, settings, utcnow())
        report = deliver(store, settings, number)
    if report.stopped:
        raise SystemExit(1)


@main.command()
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="Stable JSON (see README: issue JSON).")
@click.pass_obj
@_handle_errors
def show(obj: Context, number: int, as_json: bool) -> None:
    """Print an issue: sections, blurbs with their sources, entries with their links."""
    from digest.pipeline import load_issue
    from digest.report import issue_json, print_issue

    settings = obj.settings()
    with _opened_store(settings) as store:
        issue, items = load_issue(store, number)
    if as_json:
        click.echo(json.dumps(issue_json(issue, items), ensure_ascii=False, indent=2))
    else:
        print_issue(issue, items)


@main.command()
@click.option(
    "--jsonl",
    "source",
    type=click.File("r", encoding="utf-8"),
    required=True,
    help='Input: one {"id": …, "text": …} object per line ("-" for stdin).',
)
@click.option(
    "--out",
    "sink",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help='Output: one {"id": …, "summary": …} object per line.',
)
@click.option(
    "--words",
    type=click.IntRange(min=5),
    default=None,
    help="Word budget of a summary (default: issue.summary_words).",
)
@click.pass_obj
@_handle_errors
def summarize(obj: Context, source: Any, sink: Any, words: int | None) -> None:
    """Summarise texts with exactly the story summarizer of `build` (for evaluation)."""
    from digest.summarize.jsonl import summarize_jsonl

    budget = words or _summary_words(obj)
    count = summarize_jsonl(source, sink, max_words=budget)
    click.echo(f"{count} summaries written", err=True)


def _summary_words(obj: Context) -> int:
    """The configured budget when there is a configuration file; evaluation needs none."""
    from digest.settings import IssueSettings

    if not resolve_config_path(obj.config, os.environ).exists():
        return IssueSettings().summary_words
    return obj.settings().issue.summary_words


@main.command()
@click.argument("number", type=int)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write issue.html, issue.txt, issue.json and sample.eml into.",
)
@click.pass_obj
@_handle_errors
def render(obj: Context, number: int, out: Path) -> None:
    """Render an issue to files: the web HTML, the text part, the JSON and a sample email."""
    from digest.pipeline import run_render
    from digest.store import utcnow

    settings = obj.settings()
    with _opened_store(settings) as store:
        result = run_render(store, settings, number, out, utcnow())
    note = f", {result.trimmed} entries trimmed to fit" if result.trimmed else ""
    click.echo(f"issue {number}: {result.html_bytes // 1000} KB of HTML{note}")
    for path in result.files:
        click.echo(f"  {path}")


@main.command()
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.pass_obj
@_handle_errors
def preview(obj: Context, port: int) -> None:
    """Local web server for editors (127.0.0.1 only): each issue exactly as it is sent."""
    from digest.web.preview import PreviewApp, serve_preview

    settings = obj.settings()
    with _opened_store(settings) as store:
        app = PreviewApp(store, settings.config_path)
        serve_preview(app, port, announce=lambda line: click.echo(line, err=True))


# The mail commands (subscribers, approve, send) and the service (serve) live in their
# own modules, registered here.
from digest import cli_mail, cli_ops  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
