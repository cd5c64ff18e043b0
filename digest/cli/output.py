"""What the command line prints: progress, per-source summaries, listings, and the stable
JSON shapes of `digest status --json` and `digest subscribers list --json` (documented in
the README; bump JSON_VERSION on any incompatible change). The JSON of stories and issues
is digest.serialize's: the renderer writes it too."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from digest.localtime import local_minute
from digest.models import (
    Entry,
    IngestReport,
    Issue,
    Outcome,
    SourceReport,
    StoredItem,
    Subscriber,
)
from digest.serialize import JSON_VERSION, iso

if TYPE_CHECKING:  # types only: importing the use cases would cost every command
    from rich.progress import Progress

    from digest.app.check import Readiness
    from digest.app.status import Snapshot
    from digest.mail.transport import Transport
    from digest.mail.worker import SendReport

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


class IngestProgress:
    """A progress bar on stderr, one tick per source (silent when stderr is not a terminal)."""

    def __init__(self, total: int) -> None:
        self._progress: Progress | None = None
        # rich's live display writes nothing to a console that is no terminal (nor Jupyter)
        # when it is transient: there, rich.progress is not even imported (a cron job's or a
        # script's unchanged re-ingest, issue 12 item 6).
        if not (err.is_terminal or err.is_jupyter):
            return
        # lazy: rich.progress, for a progress bar someone can see
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        )
        self._task = self._progress.add_task("", total=total)

    def __enter__(self) -> IngestProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, report: SourceReport) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=report.name)


_OUTCOME_STYLE = {
    Outcome.NEW: "green",
    Outcome.UPDATED: "green",
    Outcome.UNCHANGED: "dim",
    Outcome.FAILED: "red",
    Outcome.SKIPPED: "yellow",
}


def print_ingest_report(report: IngestReport) -> None:
    table = Table(title="ingest", title_justify="left", show_edge=False)
    for column in ("source", "kind", "result", "new", "items", "why"):
        table.add_column(column, justify="right" if column in {"new", "items"} else "left")
    for s in report.sources:
        table.add_row(
            s.name,
            s.kind.value,
            f"[{_OUTCOME_STYLE[s.outcome]}]{s.outcome.value}[/]",
            str(s.new_items),
            str(s.total_items) if s.total_items else "",
            s.message,
        )
    out.print(table)
    counts = {o: sum(1 for s in report.sources if s.outcome is o) for o in Outcome}
    summary = ", ".join(f"{n} {o.value}" for o, n in counts.items() if n)
    out.print(f"{len(report.sources)} sources: {summary}; {report.new_items} new items")


def database_location(database_url: str) -> str:
    """Where the data is, for humans: the SQLite file's path, or the URL without password."""
    from sqlalchemy.engine import make_url  # lazy: `digest --help` must not load SQLAlchemy

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def print_status(state: Snapshot, database_url: str, timezone: str) -> None:
    """The state for a person: times in the newsletter's timezone (the JSON keeps UTC)."""

    def when(moment: datetime | None) -> str:
        return local_minute(moment, timezone) if moment else ""

    table = Table(
        title=f"sources in {database_location(database_url)}",
        title_justify="left",
        show_edge=False,
    )
    for column in ("source", "kind", "last", "items", "failures", "next attempt", "error"):
        table.add_column(column)
    for s in state.sources:
        table.add_row(
            s.name,
            s.kind.value,
            s.last_status or "never",
            str(s.item_count),
            str(s.consecutive_failures or ""),
            when(s.next_attempt_at),
            (s.last_error or "")[:80],
        )
    out.print(table)
    failing = [s for s in state.sources if s.last_status == "failed"]
    out.print(
        f"{len(state.sources)} sources ({len(failing)} failing), "
        f"{sum(s.item_count for s in state.sources)} items"
    )
    out.print()
    for job in state.schedule:
        out.print(f"job {job.job} ({job.cron}): next run {when(job.next_run) or 'never'}")
    leader = state.scheduler_leader or "no digest serve running"
    out.print(f"scheduler: {leader}")
    for run in state.runs[:5]:
        out.print(
            f"  {when(run.started_at)} {run.job}: {run.outcome} {run.counts or ''} "
            f"{run.error or ''}",
            markup=False,
        )
    if state.issue is not None:
        counts = ", ".join(f"{n} {status.value}" for status, n in state.deliveries.items())
        out.print(
            f"issue {state.issue.number}: {state.issue.status.value}"
            f"{'; deliveries: ' + counts if counts else ''}"
        )


def status_json(state: Snapshot) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "sources": [
            {
                "name": s.name,
                "kind": s.kind.value,
                "location": s.location,
                "last_status": s.last_status,
                "last_error": s.last_error,
                "consecutive_failures": s.consecutive_failures,
                "last_attempt_at": iso(s.last_attempt_at),
                "last_success_at": iso(s.last_success_at),
                "next_attempt_at": iso(s.next_attempt_at),
                "items": s.item_count,
            }
            for s in state.sources
        ],
        "schedule": [
            {"job": j.job, "cron": j.cron, "next_run": iso(j.next_run)} for j in state.schedule
        ],
        "scheduler_leader": state.scheduler_leader,
        "runs": [
            {
                "job": r.job,
                "outcome": r.outcome,
                "scheduled_for": iso(r.scheduled_for),
                "started_at": iso(r.started_at),
                "finished_at": iso(r.finished_at),
                "counts": r.counts,
                "error": r.error,
                "runner": r.runner,
            }
            for r in state.runs
        ],
        "issue": None
        if state.issue is None
        else {
            "number": state.issue.number,
            "status": state.issue.status.value,
            "deliveries": {status.value: n for status, n in state.deliveries.items()},
        },
    }


def print_items(items: list[StoredItem]) -> None:
    # One Text printed once: a print per line (five per story) made rich's per-call work
    # most of `digest items` on a store of 1,163 stories (bench/startup.py).
    listing = Text()
    for item in items:
        flag = " (context)" if item.kind.value == "context" else ""
        listing.append(item.title, style="bold")
        listing.append(f"{flag}  ")
        listing.append(f"{item.source_name} #{item.position}", style="dim")
        listing.append(f"\n{_shorten(item.text, 300)}\n")
        if item.enjeux:
            listing.append(f"  Enjeux: {_shorten(item.enjeux, 200)}\n")
        for link in item.links[:5]:
            listing.append(f"  → {link.url}\n")
        listing.append("\n")
    listing.append(f"{len(items)} items")
    out.print(listing)


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def subscribers_json(people: list[Subscriber]) -> dict[str, Any]:
    rows = [
        {
            "id": p.id,
            "email": p.email,
            "name": p.name,
            "status": p.status.value,
            "created_at": iso(p.created_at),
            "confirmed_at": iso(p.confirmed_at),
            "unsubscribed_at": iso(p.unsubscribed_at),
            "bounced_at": iso(p.bounced_at),
            "status_reason": p.status_reason,
            "paused_until": iso(p.paused_until),  # their own pause (the preferences page)
        }
        for p in people
    ]
    return {"version": JSON_VERSION, "subscribers": rows}


def print_issue(issue: Issue, items: dict[int, StoredItem], timezone: str) -> None:
    # One Text printed once, as print_items: a print per line (with its markup parsed) was
    # rich's per-call work three times over for an issue of 45 stories (bench/startup.py).
    text = Text()
    text.append(f"Issue {issue.number}", style="bold")
    start, end = (
        local_minute(issue.period_start, timezone),
        local_minute(issue.period_end, timezone),
    )
    text.append(f" ({issue.status.value}) — {start} → {end}\n")
    for label, value in (
        ("Subject", issue.subject),
        ("Preheader", issue.preheader),
        ("Editor's note", issue.note),
    ):
        if value:
            text.append(f"{label}: {value}\n")
    for section in issue.sections:
        text.append("\n")
        text.append(section.title, style="bold underline")
        text.append("\n")
        if section.blurb:
            text.append("Enjeux et perspectives", style="italic")
            text.append("\n")
        for sentence in section.blurb:
            item = items.get(sentence.item_id)
            where = f"{item.source_name} #{item.position}" if item else "?"
            text.append(f"  {sentence.text} ")
            text.append(f"({where})", style="dim")
            text.append("\n")
        for entry in section.entries:
            _append_entry(text, entry)
    out.print(text, end="")


def _append_entry(text: Text, entry: Entry) -> None:
    """An entry's lines: its title with its key (what digest edit names it by) and what
    the editor wrote, its summary, and its first links (or its sources)."""
    text.append("• ")
    text.append(entry.title, style="bold")
    text.append(" ")
    edited = f" edited: {', '.join(entry.edited)}" if entry.edited else ""
    text.append(f"({entry.key}{edited})", style="dim")
    text.append("\n")
    if entry.summary:
        text.append(f"  {entry.summary}\n")
    sources = entry.links[:3] if entry.links else ()
    for link in sources:
        text.append(f"  → {link.url}\n")
    if not sources:
        text.append(f"  → {', '.join(entry.sources)}\n")


class SendProgress:
    """Messages sent, with rate and ETA, on stderr (silent when it is not a terminal)."""

    def __init__(self) -> None:
        # lazy: rich.progress, which only the commands that show progress need
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("send"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>6.0f} msg/s"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self._task = self._progress.add_task("", total=None, rate=0.0)

    def __enter__(self) -> SendProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start_total(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, count: int) -> None:
        task = self._progress.tasks[0]
        self._progress.update(self._task, advance=count, rate=task.speed or 0.0)


def print_send_report(report: SendReport, transport: Transport) -> None:
    folder = getattr(transport, "folder", None)  # the outbox's
    where = f" to {folder}" if folder else ""
    out.print(
        f"issue {report.issue}: {report.sent} sent{where} ({transport.name}), "
        f"{len(report.failed)} failed, {len(report.skipped)} skipped (no longer subscribed), "
        f"{report.waiting} waiting for a retry, {report.total} in the ledger",
        markup=False,
    )
    for kind, rows in (("failed", report.failed), ("skipped", report.skipped)):
        for email, reason in rows[:20]:
            out.print(f"  {kind}: {email}: {reason}", markup=False)
        if len(rows) > 20:
            out.print(f"  … and {len(rows) - 20} more {kind} (digest status --json)")
    if report.stopped:
        out.print(
            f"stopped early: {report.stopped}; run digest send {report.issue} again to resume",
            markup=False,
        )
        if report.hint:
            out.print(f"hint: {report.hint}", markup=False)


def print_readiness(readiness: Readiness) -> None:
    """`digest check`: one line per check, its fix under it, then the DNS records."""
    for c in readiness.checks:
        out.print(f"{c.level.value.upper():<6} {c.id}: {c.message}", markup=False)
        if c.hint and c.level.value != "ok":
            label = "how" if c.level.value == "advice" else "fix"
            out.print(f"       {label}: {c.hint}", markup=False)
    if readiness.records:
        out.print()
        out.print("DNS records to publish:")
        for r in readiness.records:
            out.print(f'  {r.name} {r.type} "{r.value}"  ({r.why})', markup=False)
    failed = sum(c.level.value == "fail" for c in readiness.checks)
    out.print()
    out.print("ready to go live" if readiness.ready else f"not ready: {failed} to fix")


def readiness_json(readiness: Readiness) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "ready": readiness.ready,
        "checks": [
            {"id": c.id, "level": c.level.value, "message": c.message, "hint": c.hint}
            for c in readiness.checks
        ],
        "dns_records": [
            {"name": r.name, "type": r.type, "value": r.value, "why": r.why}
            for r in readiness.records
        ],
    }
