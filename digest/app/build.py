"""Use case: summarise a period's stories into a draft issue, and the scheduled cycle
(ingest, then build). Each stage reads what the previous one stored and stores its own
output, so any stage can be re-run alone and a crash between stages loses nothing."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.app.ingest import ingest_sources
from digest.app.overrides import store_draft
from digest.errors import UsageError
from digest.localtime import local_minute
from digest.models import IngestReport, Issue, IssueStatus, SourceReport, StoredItem
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
    # Stories of the period left out because an earlier issue carried them (issue 13).
    already_sent: int = 0
    # The number of the previous issue when this one's subject repeats its subject.
    repeats_subject_of: int | None = None
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
    start_from = "--since"
    if since is None:
        sent = store.latest_issue(IssueStatus.SENT)
        since = sent.period_end if sent else now - timedelta(days=settings.issue.period_days)
        start_from = f"the end of issue {sent.number}" if sent else "the default period"
    period = Period(start=since, end=until or now)
    if period.start >= period.end:
        zone = settings.timezone
        raise UsageError(
            f"the period is empty: it starts at {local_minute(period.start, zone)} "
            f"({start_from}), not before its end {local_minute(period.end, zone)} "
            f"({'--until' if until else 'now'})",
            hint="--since must be before --until (dates without a zone are in "
            f"{zone}: YYYY-MM-DD or 2026-11-20T08:00)",
        )
    return period


def run_build(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    added_back: Sequence[int] = (),
) -> BuildResult:
    """Build the period's draft and store it. The latest draft, if any, is rebuilt in place
    (same number): editors iterate on one draft until it is approved. A story an earlier
    issue carried is left out, whatever the period, unless its item id is in `added_back`
    (an editor's explicit choice; such an item is in, even from outside the period) or the
    draft rebuilt has it (added back by an earlier build)."""
    period = plan_period(store, settings, now, since, until)
    latest = store.latest_issue()
    replacing = latest is not None and latest.status is IssueStatus.DRAFT
    number = latest.number if latest and replacing else (latest.number + 1 if latest else 1)
    if latest is not None and replacing:
        added_back = [*added_back, *added_back_in(store, latest)]
    items, already_sent = _unsent_items(store, period, added_back)
    issue = build_issue(items, settings, number=number, period=period, now=now)
    if issue is None:
        log.info(
            "build: no story between %s and %s (%d already sent left out)",
            period.start,
            period.end,
            already_sent,
        )
        return BuildResult(None, period, already_sent=already_sent)
    if settings.summarizer.backend == "openai":
        cache = settings.config_path.parent / ".digest-cache" / "llm"
        rewriter = ChatRewriter(settings.summarizer.openai, cache)
        issue = rewrite_issue(issue, rewriter, settings.issue.summary_words)
    edited = store_draft(store, issue, now)
    stored = edited.issue
    log.info("build: issue %d stored (%s)", stored.number, "rebuilt" if replacing else "new")
    for stale in edited.stale:
        log.warning("build: issue %d: an edit no longer applies: %s", stored.number, stale)
    repeats = _repeated_subject(store, stored)
    if repeats is not None:
        log.warning("build: issue %d repeats the subject of issue %d", stored.number, repeats)
    return BuildResult(
        stored,
        period,
        replaced_draft=replacing,
        already_sent=already_sent,
        repeats_subject_of=repeats,
        stale_edits=edited.stale,
    )


def _unsent_items(
    store: Store, period: Period, added_back: Sequence[int]
) -> tuple[list[StoredItem], int]:
    """The period's items but those an earlier issue carried, plus the items added back;
    and how many were left out. UsageError for an added-back id that is no item."""
    candidates = store.items_between(period.start, period.end)
    wanted = set(added_back)
    back = store.items_by_id(sorted(wanted))
    missing = wanted - {item.id for item in back}
    if missing:
        raise UsageError(
            f"--add-back: no item {', '.join(map(str, sorted(missing)))}",
            hint="digest items --json lists the stored stories with their ids",
        )
    sent = _carried(store, [item.id for item in candidates]) - wanted
    kept = [item for item in candidates if item.id not in sent]
    in_period = {item.id for item in kept}
    return kept + [item for item in back if item.id not in in_period], len(sent)


def _repeated_subject(store: Store, issue: Issue) -> int | None:
    """The previous issue's number when `issue` would go out under the same subject (its
    number aside: « n°2 » against « n°1 » is still the same news)."""
    previous = store.get_issue(issue.number - 1)
    if previous is None or not previous.subject:
        return None
    same = _without_number(previous.subject, previous.number) == _without_number(
        issue.subject, issue.number
    )
    return previous.number if same else None


def _without_number(subject: str, number: int) -> str:
    return re.sub(rf"(?<!\d){number}(?!\d)", "#", subject)


def _carried(store: Store, item_ids: list[int]) -> set[int]:
    """Those of `item_ids` an issue already carries: one sent (or sending), or one approved
    and about to be (its stories are not in the record of sent stories yet)."""
    approved = store.item_ids_of_issues(IssueStatus.APPROVED)
    return store.sent_item_ids(item_ids) | (approved & set(item_ids))


def added_back_in(store: Store, issue: Issue) -> list[int]:
    """The items of draft `issue` that another issue carries: an editor added them back,
    and a rebuild of the draft keeps them (those dropped since too: the drop is an
    override, kept with the others)."""
    built = store.built_draft(issue.number) or issue
    return sorted(_carried(store, [i for e in built.entries for i in e.item_ids]))


def rebuild_draft(store: Store, settings: Settings, now: datetime) -> BuildResult | None:
    """Rebuild the latest issue if it is a draft (the preview does, when the configuration
    changes), from its period's start to now, keeping the stories an editor added back
    (as every rebuild does); None when
    there is no draft: a build now would start a new issue."""
    latest = store.latest_issue()
    if latest is None or latest.status is not IssueStatus.DRAFT:
        return None
    # From the draft's own start: a draft built with --since keeps its older stories.
    result = run_build(store, settings, now, since=latest.period_start)
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
