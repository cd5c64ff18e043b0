"""Use case: send an issue. Load it, check it may be sent, render it once, and hand the
message template to the mail stage's send loop (digest.mail.send); the dry run writes the
same messages to a folder instead. Also what the schedule sends, and approving a draft."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from digest.errors import DigestError, IssueStatusError
from digest.mail.identity import message_template, sender_address
from digest.mail.message import MessageTemplate
from digest.mail.send import DryRun, deliver, signing_secret, write_messages
from digest.mail.transport import Transport, transport_for
from digest.mail.worker import SendReport
from digest.models import Issue, IssueStatus, StoredItem, SubscriberStatus
from digest.render import render_issue
from digest.settings import Settings
from digest.store import Store
from digest.web_version import render_web_version


def send_issue(
    store: Store,
    settings: Settings,
    number: int,
    transport: Transport,
    *,
    clock: Callable[[], datetime],
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    connections: int | None = None,
) -> SendReport:
    """Send issue `number`; safe to re-run. Raises DigestError when it must not be sent."""
    issue, items = store.load_issue(number)
    _check_sendable(store, settings, number, issue.status, clock())
    secret = signing_secret(settings)
    rendered = render_issue(issue, items, settings)
    # The web version of a sent issue never changes: kept now, served as is.
    store.keep_issue_page(number, render_web_version(rendered, items, settings), clock())
    return deliver(
        store,
        settings,
        number,
        message_template(rendered, settings),
        transport,
        secret=secret,
        clock=clock,
        on_progress=on_progress,
        on_total=on_total,
        connections=connections,
    )


def preview_messages(store: Store, settings: Settings, number: int, folder: Path) -> DryRun:
    """The dry run: every active subscriber's message written to `folder` (unsigned by
    DKIM), with no ledger row created or changed and the issue's status untouched."""
    issue, items = store.load_issue(number)
    template = _template(settings, issue, items)
    return write_messages(store, settings, number, template, signing_secret(settings), folder)


def scheduled_send(
    store: Store, settings: Settings, clock: Callable[[], datetime]
) -> SendReport | None:
    """What the schedule's send job does: the latest draft when drafts are auto-approved,
    else an issue approved or left half-sent; None when there is nothing to send."""
    draft = store.latest_issue(IssueStatus.DRAFT) if settings.mail.auto_approve else None
    number = issue_to_send(store, draft)
    if number is None:
        return None
    return send_issue(store, settings, number, transport_for(settings, number), clock=clock)


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


@dataclass(frozen=True, slots=True)
class RunRelease:
    """What `digest run` sends after its build, and why."""

    send: int | None  # the issue to send now (the one built, or one approved earlier)
    waiting: int | None  # the draft just built, when it waits for its editor's approval
    quick_start_approved: bool  # the offline quick start approved the draft itself


def release_after_build(
    store: Store, settings: Settings, built: Issue | None, now: datetime
) -> RunRelease:
    """After `run`'s build: in the offline quick start, approve the draft and keep the demo
    subscriber; then pick what goes out, as the schedule would."""
    approved = built is not None and release_quick_start(store, settings, built.number, now)
    number = issue_to_send(store, sendable_build(store, settings, built))
    waiting = built.number if built is not None and number != built.number else None
    if number is not None:
        ensure_demo_subscriber(store, settings, now)
    return RunRelease(number, waiting, approved)


def sendable_build(store: Store, settings: Settings, built: Issue | None) -> Issue | None:
    """The issue a build just made, if it may go out now: approved (by an editor, or the
    quick start), or a draft when drafts are auto-approved. A draft waiting for its editor
    is not: `run` then sends what the schedule would, an approved or half-sent issue."""
    if built is None:
        return None
    current = store.get_issue(built.number)
    if current is None or (current.status is IssueStatus.DRAFT and not settings.mail.auto_approve):
        return None
    return current


def send_interrupted(store: Store) -> bool:
    """Whether an issue was left half-sent (a killed serve, a crash): the service finishes
    it at once, the ledger skipping everyone already mailed."""
    return store.latest_issue(IssueStatus.SENDING) is not None


def approve(store: Store, number: int, now: datetime) -> None:
    """Approve a draft for sending."""
    store.approve_issue(number, now)


def is_quick_start(settings: Settings) -> bool:
    """The offline quick start (`make run`: `digest --offline run` with the outbox): nothing
    leaves the machine, so the demo subscriber and an explicit approval are harmless."""
    return settings.offline and settings.mail.transport == "outbox"


def release_quick_start(store: Store, settings: Settings, number: int, now: datetime) -> bool:
    """In the quick start only, approve draft `number` so `run` can "send" it to the outbox
    with `mail.auto_approve: false` (the shipped default); True when it did. Anywhere else
    a draft waits for an editor's `digest approve`."""
    issue = store.get_issue(number)
    if not is_quick_start(settings) or issue is None or issue.status is not IssueStatus.DRAFT:
        return False
    if settings.mail.auto_approve:
        return False  # the send approves it anyway
    store.approve_issue(number, now)
    return True


def ensure_demo_subscriber(store: Store, settings: Settings, now: datetime) -> None:
    """The configured demo subscriber exists, in the offline quick start only (it mails the
    outbox to them): a real list never gets the demo address. Someone who unsubscribed
    stays unsubscribed."""
    if not settings.mail.demo_subscriber or not is_quick_start(settings):
        return
    name, email = parseaddr(settings.mail.demo_subscriber)
    if email and not store.find_subscribers([email]):
        store.add_subscribers([(email, name or None)], SubscriberStatus.ACTIVE, now)


def _check_sendable(
    store: Store, settings: Settings, number: int, status: IssueStatus, now: datetime
) -> None:
    """A draft is approved first when drafts are auto-approved, else refused; so is a
    newsletter without a sender."""
    if status is IssueStatus.DRAFT:
        if not settings.mail.auto_approve:
            raise IssueStatusError(
                f"issue {number} is a draft, not approved",
                hint=f"review it (digest preview), then: digest approve {number}",
            )
        store.approve_issue(number, now)
    if not sender_address(settings.mail.sender):
        raise DigestError("mail.from is not set", hint="set mail.from: Lettre <lettre@example.org>")


def _template(settings: Settings, issue: Issue, items: Mapping[int, StoredItem]) -> MessageTemplate:
    """The issue rendered once, as the message parts every reader's copy shares."""
    return message_template(render_issue(issue, items, settings), settings)
