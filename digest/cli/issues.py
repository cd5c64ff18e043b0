"""Commands on stories and issues: ingest, items, build, show, render, summarize."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from digest.cli._common import (
    Context,
    DateParam,
    aware,
    handle_errors,
    opened_reader,
    opened_store,
    utcnow,
)
from digest.cli.output import (
    IngestProgress,
    database_location,
    print_ingest_report,
    print_issue,
    print_items,
)
from digest.config import resolve_config_path
from digest.localtime import local_minute
from digest.serialize import issue_json, items_json
from digest.settings import IssueSettings, Settings

if TYPE_CHECKING:  # its types only: `build` imports the use case itself, lazily
    from digest.app.build import BuildResult


@click.command()
@click.option("--source", metavar="NAME", help="Only this source (forced past any backoff).")
@click.pass_obj
@handle_errors
def ingest(obj: Context, source: str | None) -> None:
    """Fetch documents, feeds and newsletter inboxes into the store."""
    from digest.app.ingest import count_sources, ingest_sources  # lazy: the store, the fetchers

    settings = obj.settings()
    with (
        opened_store(settings) as store,
        IngestProgress(count_sources(settings, source)) as progress,
    ):
        report = ingest_sources(
            store, settings, utcnow(), only=source, on_source_done=progress.advance
        )
    print_ingest_report(report)
    click.echo(
        f"stored in {database_location(settings.database_url)}; list them with: digest items"
    )


@click.command()
@click.option("--source", metavar="NAME", help="Only the items of this source.")
@click.option("--json", "as_json", is_flag=True, help="Stable JSON (see README: items JSON).")
@click.pass_obj
@handle_errors
def items(obj: Context, source: str | None, as_json: bool) -> None:
    """List the stored stories, so an editor can see what came in."""
    from digest.app.issues import list_items  # lazy: the store (SQLAlchemy Core)

    settings = obj.settings()
    with opened_reader(settings) as store:
        stored = list_items(store, source)
    if as_json:
        click.echo(json.dumps(items_json(stored), ensure_ascii=False, indent=2))
    else:
        print_items(stored)


@click.command()
@click.option("--since", type=DateParam(), help="Start of the period (default: last sent issue).")
@click.option("--until", type=DateParam(), help="End of the period (default: now).")
@click.option(
    "--add-back",
    "added_back",
    metavar="ITEM_ID",
    type=int,
    multiple=True,
    help="Put this story back although an earlier issue carried it (repeatable; "
    "digest items --json lists the ids).",
)
@click.pass_obj
@handle_errors
def build(
    obj: Context, since: datetime | None, until: datetime | None, added_back: tuple[int, ...]
) -> None:
    """Summarise the period's items into a draft issue; prints its number. Stories an
    earlier issue carried are left out unless added back."""
    from digest.app.build import run_build  # lazy: the store and the summarizer

    settings = obj.settings()
    with opened_store(settings) as store:
        result = run_build(
            store,
            settings,
            utcnow(),
            since=aware(since, settings.timezone),
            until=aware(until, settings.timezone),
            added_back=list(added_back),
        )
    echo_build(result, settings)
    if result.issue is not None:
        click.echo(str(result.issue.number))


def echo_build(result: BuildResult, settings: Settings) -> None:
    """What a build did (build and run): one line, and a warning when its stories or its
    subject repeat an earlier issue's."""
    sent = result.already_sent
    left_out = f"; {sent} stories left out: an earlier issue carried them" if sent else ""
    if result.issue is None:
        between = (
            f"between {local_minute(result.period.start, settings.timezone)} and "
            f"{local_minute(result.period.end, settings.timezone)}"
        )
        if sent:
            click.echo(
                f"nothing new {between}: its {sent} stories went out in an earlier issue; "
                "no issue built (a story is never sent twice unless you put it back: "
                "digest build --add-back ITEM_ID, ids in digest items --json)"
            )
            return
        click.echo(
            f"nothing new {between}: no issue built "
            "(run digest ingest, or widen the period with --since)"
        )
        return
    issue = result.issue
    verb = "rebuilt draft" if result.replaced_draft else "built draft"
    click.echo(
        f"{verb} issue {issue.number}: {len(issue.sections)} sections, "
        f"{len(issue.entries)} entries{left_out} (in "
        f"{database_location(settings.database_url)}; see it with: digest show {issue.number})"
    )
    if result.repeats_subject_of is not None:
        click.echo(
            f"warning: issue {issue.number} would go out under the subject of issue "
            f"{result.repeats_subject_of}: {issue.subject}",
            err=True,
        )
    for stale in result.stale_edits:
        click.echo(f"  an edit no longer applies: {stale}")


@click.command()
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="Stable JSON (see README: issue JSON).")
@click.pass_obj
@handle_errors
def show(obj: Context, number: int, as_json: bool) -> None:
    """Print an issue: sections, blurbs with their sources, entries with their links."""
    from digest.app.issues import issue_with_items  # lazy: the store (SQLAlchemy Core)

    settings = obj.settings()
    with opened_reader(settings) as store:
        issue, cited = issue_with_items(store, number)
    if as_json:
        click.echo(json.dumps(issue_json(issue, cited), ensure_ascii=False, indent=2))
    else:
        print_issue(issue, cited, settings.timezone)


@click.command()
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
@handle_errors
def summarize(obj: Context, source: TextIO, sink: TextIO, words: int | None) -> None:
    """Summarise texts with exactly the story summarizer of `build` (for evaluation)."""
    from digest.summarize.jsonl import summarize_jsonl  # lazy: the summarizer is slow to import

    budget = words or _summary_words(obj)
    count = summarize_jsonl(source, sink, max_words=budget)
    click.echo(f"{count} summaries written", err=True)


def _summary_words(obj: Context) -> int:
    """The configured budget when there is a configuration file; evaluation needs none."""
    if not resolve_config_path(obj.config, os.environ).exists():
        return IssueSettings().summary_words
    return obj.settings().issue.summary_words


@click.command()
@click.argument("number", type=int)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write issue.html, issue.txt, issue.json and sample.eml into.",
)
@click.pass_obj
@handle_errors
def render(obj: Context, number: int, out: Path) -> None:
    """Render an issue to files: the web HTML, the text part, the JSON and a sample email."""
    from digest.app.render import run_render  # lazy: the store, the renderer, the mail stage

    settings = obj.settings()
    with opened_store(settings) as store:
        result = run_render(store, settings, number, out, utcnow())
    note = f", {result.trimmed} entries trimmed to fit" if result.trimmed else ""
    click.echo(f"issue {number}: {result.html_bytes // 1000} KB of HTML{note}")
    for path in result.files:
        click.echo(f"  {path}")


COMMANDS = (ingest, items, build, show, summarize, render)
