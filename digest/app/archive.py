"""The public archive: the list of sent issues, page by page, each issue's web version,
their Atom feed.

Drafts are never public: everything here sees only the issues that have gone out. An
issue's page is its web version (digest.web_version: no greeting, no subscriber's
footer), rendered once and kept in the store (issue 12: a render per request, premailer
included, held /issues/N to about 20 requests a second). The sender and `digest render`
keep it as they render; a page asked for before either did is rendered here, once. A
request then costs a read, the neighbours' numbers and a string replace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from digest.feed import MAX_ISSUES, atom_feed
from digest.models import Issue, IssuePage, IssueStatus
from digest.render import french_date, render_issue, subject_lines
from digest.settings import Settings
from digest.store import Store
from digest.web_version import render_web_version, with_navigation

log = logging.getLogger(__name__)

PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class ArchivedIssue:
    """One line of the archive's list."""

    number: int
    subject: str
    date: str  # « 20 novembre 2026 »
    day: str  # 2026-11-20, for <time datetime>
    lead: str  # the preheader: the lead story's summary


@dataclass(frozen=True, slots=True)
class ArchiveListing:
    """One page of the archive's list, newest first."""

    issues: tuple[ArchivedIssue, ...]
    page: int
    pages: int


def archive_listing(store: Store, settings: Settings, page: int) -> ArchiveListing | None:
    """Page `page` (from 1) of the sent issues, or None past the last page. With no issue
    sent yet there is one page, empty."""
    pages = max(1, -(-store.count_sent_issues() // PER_PAGE))
    if not 1 <= page <= pages:
        return None
    issues = store.sent_issues((page - 1) * PER_PAGE, PER_PAGE)
    return ArchiveListing(tuple(_archived(issue, settings) for issue in issues), page, pages)


def _archived(issue: Issue, settings: Settings) -> ArchivedIssue:
    subject, preheader = subject_lines(issue, settings)
    day = (issue.sent_at or issue.period_end).date().isoformat()
    return ArchivedIssue(issue.number, subject, french_date(issue), day, preheader)


def issue_page(store: Store, settings: Settings, number: int, now: datetime) -> str | None:
    """Issue `number`'s web page, or None when no such issue has gone out."""
    kept = store.sent_issue_page(number) or _render_and_keep(store, settings, number, now)
    if kept is None:
        return None
    previous, following = store.sent_neighbours(number)
    return with_navigation(kept.page, previous, following)


def _render_and_keep(
    store: Store, settings: Settings, number: int, now: datetime
) -> IssuePage | None:
    found = store.get_issue(number)
    if found is None or found.status is not IssueStatus.SENT:
        return None
    issue, items = store.load_issue(number)
    page = render_web_version(render_issue(issue, items, settings), items, settings)
    store.keep_issue_page(number, page, now)
    log.info("issue %d: web version rendered and kept", number)
    return page


def atom(store: Store, settings: Settings, now: datetime) -> bytes:
    """The Atom feed of the latest sent issues, each with its web version as content."""
    issues = store.sent_issues(0, MAX_ISSUES)
    kept = store.sent_issue_pages([issue.number for issue in issues])
    articles = {}
    for issue in issues:
        page = kept.get(issue.number) or _render_and_keep(store, settings, issue.number, now)
        articles[issue.number] = page.article if page else ""
    return atom_feed(settings, issues, articles, now)
