"""The public archive: the list of sent issues, each one's page, their Atom feed.

Drafts are never public: everything here sees only the issues that have gone out. An
issue's page is the email's HTML with no subscriber's values in it (`archive_html`),
rendered once and kept in the store (issue 12: a render per request, premailer included,
held /issues/N to about 20 requests a second). The sender and `digest render` keep it as
they render; a page asked for before either did is rendered here, once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from digest.feed import atom_feed
from digest.models import Issue, IssueStatus
from digest.render import archive_html, french_date, lead_title, render_issue
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ArchivedIssue:
    """One line of the archive's list."""

    number: int
    date: str  # « 20 novembre 2026 »
    lead: str  # the title of its first story


def sent_issues(store: Store) -> list[Issue]:
    """The issues that have gone out, oldest first."""
    return [issue for issue in store.list_issues() if issue.status is IssueStatus.SENT]


def archive_list(store: Store) -> list[ArchivedIssue]:
    """The archive's lines, newest first."""
    return [
        ArchivedIssue(issue.number, french_date(issue), lead_title(issue))
        for issue in reversed(sent_issues(store))
    ]


def issue_page(store: Store, settings: Settings, number: int, now: datetime) -> str | None:
    """Issue `number`'s archive page, or None when no such issue has gone out."""
    page = store.sent_issue_page(number)
    if page is not None:
        return page
    found = store.get_issue(number)
    if found is None or found.status is not IssueStatus.SENT:
        return None
    issue, items = store.load_issue(number)
    page = archive_html(render_issue(issue, items, settings), settings)
    store.keep_issue_page(number, page, now)
    log.info("issue %d: archive page rendered and kept", number)
    return page


def atom(store: Store, settings: Settings, now: datetime) -> bytes:
    """The Atom feed of the latest sent issues."""
    return atom_feed(settings, sent_issues(store), now)
