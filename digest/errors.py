"""Errors the user can act on: each has a message for humans and an optional hint.

They are caught where someone can be told: the per-source / per-recipient loops
(recorded, the run goes on), the command line (printed, exit code), the scheduler's jobs
(recorded on the run) and the web apps (a page: the preview shows the message, the public
site a generic one). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from datetime import datetime


class DigestError(Exception):
    """Base class: a failure the operator can understand and fix."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class ConfigError(DigestError):
    """The configuration file or environment is invalid; lists every problem at once."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")
        self.source = source
        self.problems = problems


class StoreError(DigestError):
    """The database cannot be opened or migrated."""


class FeedError(DigestError):
    """A feed could not be fetched or parsed."""


class DocumentError(DigestError):
    """A document could not be read or decoded."""


class MailboxError(DigestError):
    """An IMAP mailbox (a newsletter inbox, the bounce mailbox) cannot be read."""


class RenderError(DigestError):
    """A template is broken or an issue cannot be rendered within the limits."""


class SendError(DigestError):
    """A message could not be delivered."""


class SubscriberError(DigestError):
    """A subscriber's address or name is refused, or an operation does not apply to them."""


class OutputError(DigestError):
    """A file or folder the service writes (outbox, rendered issue) cannot be written."""


class EditError(DigestError):
    """An editor's change that cannot be applied: a bad value, an issue that is not a
    draft, a line of `digest edit`'s file (exit 2, like a usage error and IssueStatusError)."""

    exit_code = 2


class UsageError(DigestError):
    """An option or environment value that cannot work as given (exit 2, like ConfigError)."""

    exit_code = 2


class TestSendLimited(DigestError):
    """Too many test sends in the window; `retry_at` (aware UTC) is when one is free again."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, message: str, retry_at: datetime, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.retry_at = retry_at


class IssueStatusError(UsageError):
    """The issue's status refuses the command: approving, editing or taking back an issue
    whose send has started, editing an approved one, sending a draft not approved. Exit 2,
    as for an ISSUE that names no issue: the command was given the wrong issue (or too
    early), and running it again changes nothing until someone changes the issue."""


class UnknownIssue(UsageError):
    """An ISSUE argument names no issue (exit 2); the message lists the issues there are."""
