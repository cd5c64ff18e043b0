"""`digest stats`: subscribers by status week by week, and each issue's outcome (issue 14,
item 4). A table for a person (times in the newsletter's timezone), stable JSON for
scripts (UTC; bump JSON_VERSION on any incompatible change)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from digest.cli._common import Context, handle_errors, opened_store, utcnow
from digest.cli.output import out
from digest.localtime import local_day
from digest.serialize import JSON_VERSION, iso

if TYPE_CHECKING:  # types only: the command imports its use case lazily
    from digest.app.stats import Stats

OUTCOMES = ("sent", "failed", "skipped", "bounced", "unsubscribed")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=12,
    show_default=True,
    help="How many weeks back, this one included.",
)
@click.pass_obj
@handle_errors
def stats(obj: Context, as_json: bool, weeks: int) -> None:
    """Subscribers by status each week; per issue: sent, failed, skipped, and the bounces
    and unsubscribes until the next issue. No opens or clicks: digest records none."""
    from digest.app.stats import gather_stats  # lazy: the store (SQLAlchemy)

    settings = obj.settings()
    with opened_store(settings) as store:
        result = gather_stats(store, settings, utcnow(), weeks)
    if as_json:
        click.echo(json.dumps(stats_json(result), ensure_ascii=False, indent=2))
    else:
        print_stats(result, settings.timezone)


def stats_json(result: Stats) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "weeks": [
            {"start": w.start.isoformat(), **w.counts}  # in digest.app.stats.STATUSES' order
            for w in result.weeks
        ],
        "issues": [
            {
                "number": i.number,
                "subject": i.subject,
                "started_at": iso(i.started_at),
                **{name: getattr(i, name) for name in OUTCOMES},
            }
            for i in result.issues
        ],
    }


def print_stats(result: Stats, timezone: str) -> None:
    weeks = Table(title="subscribers at the end of each week", title_justify="left")
    weeks.add_column("week of")
    for status in result.weeks[0].counts if result.weeks else ():
        weeks.add_column(status, justify="right")
    for w in result.weeks:
        weeks.add_row(w.start.isoformat(), *map(str, w.counts.values()))
    out.print(weeks)
    issues = Table(
        title="issues (bounced, unsubscribed: until the next issue's send)", title_justify="left"
    )
    issues.add_column("issue", justify="right")
    issues.add_column("sent on")
    for name in OUTCOMES:
        issues.add_column(name, justify="right")
    for i in result.issues:
        day = local_day(i.started_at, timezone) if i.started_at else "not yet"
        issues.add_row(str(i.number), day, *(str(getattr(i, name)) for name in OUTCOMES))
    out.print(issues)
    if not result.issues:
        out.print("no issue sent yet")


COMMANDS = (stats,)
