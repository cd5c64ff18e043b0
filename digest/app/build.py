"""Use case: summarise a period's stories into a draft issue, and the scheduled cycle
(ingest, then build). Each stage reads what the previous one stored and stores its own
output, so any stage can be re-run alone and a crash between stages loses nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.app.ingest import ingest_sources
from digest.app.overrides import store_draft
from digest.models import IngestReport, Issue, IssueStatus, SourceReport
from digest.settings import Settings
from digest.store import Store
from digest.summarize.build import Period, build_issue
from digest.summarize.llm import ChatRewriter, rewrite_issue

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildResult:
    issue: Issue | None  # None: nothing new in the period
    period: Period
    replaced_draft: bool = False
    # The editor's overrides this build could not apply again (issue 13), in words.
    stale_edits: tuple[str, ...] = ()


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
        cache = settings.config_path.parent / ".digest-cache" / "llm"
        rewriter = ChatRewriter(settings.summarizer.openai, cache)
        issue = rewrite_issue(issue, rewriter, settings.issue.summary_words)
    edited = store_draft(store, issue, now)
    stored = edited.issue
    log.info("build: issue %d stored (%s)", stored.number, "rebuilt" if replacing else "new")
    for stale in edited.stale:
        log.warning("build: issue %d: an edit no longer applies: %s", stored.number, stale)
    return BuildResult(stored, period, replaced_draft=replacing, stale_edits=edited.stale)


def rebuild_draft(store: Store, settings: Settings, now: datetime) -> BuildResult | None:
    """Rebuild the latest issue if it is a draft (the preview does, when the configuration
    changes); None when there is no draft: a build now would start a new issue."""
    latest = store.latest_issue()
    if latest is None or latest.status is not IssueStatus.DRAFT:
        return None
    result = run_build(store, settings, now)
    log.info("build: draft %d rebuilt", latest.number)
    if result.issue is None:
        log.info("build: the rebuild found no story; draft %d kept", latest.number)
    return result


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
    report = ingest_sources(store, settings, now, on_source_done=on_source_done)
    return RunResult(ingest=report, build=run_build(store, settings, now))
