"""The orchestrator: each stage reads what the previous one stored and stores its own output,
so any stage can be re-run alone and a crash between stages loses nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from digest.errors import DigestError
from digest.mail.message import Recipient
from digest.models import IngestReport, Issue, IssueStatus, SourceReport, StoredItem
from digest.output import make_folder, write_whole
from digest.settings import Settings
from digest.store import Store
from digest.summarize.build import Period, build_issue

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildResult:
    issue: Issue | None  # None: nothing new in the period
    period: Period
    replaced_draft: bool = False


def plan_period(
    store: Store,
    settings: Settings,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Period:
    """(since, until]: by default from the end of the last sent issue (or the last
    `issue.period_days` days for the first issue) to now."""
    if since is None:
        sent = store.latest_issue(IssueStatus.SENT)
        since = sent.period_end if sent else now - timedelta(days=settings.issue.period_days)
    return Period(start=since, end=until or now)


def run_build(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> BuildResult:
    """Build the period's draft and store it. The latest draft, if any, is rebuilt in place
    (same number): editors iterate on one draft until it is approved."""
    period = plan_period(store, settings, now, since, until)
    latest = store.latest_issue()
    replacing = latest is not None and latest.status is IssueStatus.DRAFT
    number = latest.number if latest and replacing else (latest.number + 1 if latest else 1)
    issue = build_issue(
        store.items_between(period.start, period.end),
        settings,
        number=number,
        period=period,
        now=now,
    )
    if issue is None:
        log.info("build: no story between %s and %s", period.start, period.end)
        return BuildResult(None, period)
    if settings.summarizer.backend == "openai":
        from digest.summarize.llm import ChatRewriter, rewrite_issue

        cache = settings.config_path.parent / ".digest-cache" / "llm"
        rewriter = ChatRewriter(settings.summarizer.openai, cache)
        issue = rewrite_issue(issue, rewriter, settings.issue.summary_words)
    stored = store.save_draft(issue, now)
    log.info("build: issue %d stored (%s)", stored.number, "rebuilt" if replacing else "new")
    return BuildResult(stored, period, replaced_draft=replacing)


@dataclass(frozen=True, slots=True)
class RunResult:
    ingest: IngestReport
    build: BuildResult


def run_once(
    store: Store,
    settings: Settings,
    now: datetime,
    on_source_done: Callable[[SourceReport], None] | None = None,
) -> RunResult:
    """One cycle, as the schedule runs it: ingest, then build (render and send come next)."""
    from digest.ingest.run import run_ingest

    report = run_ingest(settings, store, now, on_done=on_source_done)
    return RunResult(ingest=report, build=run_build(store, settings, now))


@dataclass(frozen=True, slots=True)
class RenderOutput:
    folder: Path
    files: tuple[Path, ...]
    html_bytes: int
    trimmed: int


def load_issue(store: Store, number: int) -> tuple[Issue, dict[int, StoredItem]]:
    """An issue and the items it cites, or a DigestError naming the issues there are."""
    issue = store.get_issue(number)
    if issue is None:
        known = ", ".join(str(i.number) for i in store.list_issues()) or "none yet"
        raise DigestError(f"no issue {number} (issues: {known})", hint="digest build makes one")
    ids = {b.item_id for s in issue.sections for b in s.blurb}
    ids.update(i for e in issue.entries for i in e.item_ids)
    return issue, {item.id: item for item in store.items_by_id(sorted(ids))}


def run_render(
    store: Store, settings: Settings, number: int, out: Path, now: datetime
) -> RenderOutput:
    """issue.html (the web version), issue.txt, issue.json and sample.eml, written whole or
    not at all: every file is written beside its final name, then renamed."""
    from digest.mail.identity import SAMPLE_KEY, message_template
    from digest.mail.message import build_message
    from digest.render import archive_html, neutral, render_issue
    from digest.report import issue_json

    issue, items = load_issue(store, number)
    rendered = render_issue(issue, items, settings)
    store.keep_issue_page(number, archive_html(rendered, settings), now)
    template = message_template(rendered, settings)
    sample = build_message(template, sample_recipient(settings, number, SAMPLE_KEY), now)
    contents = {
        "issue.html": neutral(rendered, settings.newsletter.base_url + "/").encode("utf-8"),
        "issue.txt": rendered.text.encode("utf-8"),
        "issue.json": json.dumps(issue_json(issue, items), ensure_ascii=False, indent=2).encode(),
        "sample.eml": sample,
    }
    make_folder(out, "--out")
    files = {out / name: data for name, data in contents.items()}
    write_whole(files, "--out")
    return RenderOutput(out, tuple(files), len(rendered.html.encode()), rendered.trimmed)


def sample_recipient(settings: Settings, number: int, fallback_key: str) -> Recipient:
    """A reader as `sample.eml` shows one: a real signed unsubscribe link for subscriber 0."""
    import os

    from digest.mail.identity import recipient

    secret = os.environ.get("DIGEST_SECRET_KEY") or fallback_key
    return recipient(
        settings,
        secret,
        number,
        0,
        "lecteur@example.org",
        "Lectrice Exemple",
        "sample",
        nonce="sample",  # id 0 is no subscriber's: the sample link unsubscribes no one
    )


def ensure_demo_subscriber(store: Store, settings: Settings, now: datetime) -> None:
    """The configured demo subscriber exists (the quick start mails the outbox to them).
    Someone who unsubscribed stays unsubscribed."""
    from email.utils import parseaddr

    from digest.models import SubscriberStatus

    if not settings.mail.demo_subscriber:
        return
    name, email = parseaddr(settings.mail.demo_subscriber)
    if email and not store.find_subscribers([email]):
        store.add_subscribers([(email, name or None)], SubscriberStatus.ACTIVE, now)


def issue_to_send(store: Store, built: Issue | None) -> int | None:
    """What a scheduled send delivers: the issue just built, else one approved or left
    half-sent by an earlier run."""
    if built is not None:
        return built.number
    for status in (IssueStatus.SENDING, IssueStatus.APPROVED):
        issue = store.latest_issue(status)
        if issue is not None:
            return issue.number
    return None
