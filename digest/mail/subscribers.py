"""Subscribers: addresses and names validated where they enter, imports all-or-nothing
with every bad line reported, and the operator's lifecycle commands (issue 10, item 4).

A suppressed address (unsubscribed, bounced, or erased after either) is never made active
again by `add` or `import`: it is skipped with the reason. The explicit ways back are the
person's own confirmation and the operator's `reactivate`.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from digest.errors import DigestError, SubscriberError
from digest.models import Subscriber, SubscriberStatus, validate_name
from digest.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    email: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.email or '(empty)'}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: list[Subscriber]
    skipped: list[Problem]  # already known or suppressed: left exactly as they were


@dataclass(frozen=True, slots=True)
class _Person:
    line: int  # the physical line the record starts on
    email: str  # normalised
    name: str | None
    given: str  # the address as the file spells it, for the problems listed


def normalise_address(raw: str) -> str:
    """The address as email-validator normalises it (syntax only: no DNS lookups)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(raw.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def add_subscriber(
    store: Store, raw: str, name: str | None, status: SubscriberStatus, now: datetime
) -> Subscriber:
    """Add one person; SubscriberError for a bad address or name, a known address, or a
    suppressed one (with the reason, and reactivate as the way back)."""
    try:
        email = normalise_address(raw)
    except ValueError as exc:
        raise SubscriberError(f"{raw!r} is not a valid address: {exc}") from exc
    name = validate_name(name)
    refusal = skip_reasons(store, [email]).get(email.lower())
    if refusal is not None:
        raise SubscriberError(
            f"{email}: {refusal}",
            hint="digest subscribers list shows who is there; someone unsubscribed or bounced "
            f"who asked to come back: digest subscribers reactivate {email}",
        )
    return store.add_subscribers([(email, name)], status, now)[0]


def import_subscribers(store: Store, path: Path, now: datetime) -> ImportReport:
    """Import a CSV (a header row with an `email` column, optional `name`; `,` or `;`):
    every line valid, or nothing imported and every problem listed. Addresses already
    known or suppressed are skipped, each with its reason."""
    people, problems = _read(path)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        raise DigestError(
            f"{path}: {len(problems)} bad line(s), nothing imported:\n{listed}",
            hint="fix or remove those lines and import again",
        )
    reasons = skip_reasons(store, [p.email for p in people])
    known = [p for p in people if p.email.lower() in reasons]
    skipped = [Problem(p.line, p.given, reasons[p.email.lower()]) for p in known]
    fresh = [(p.email, p.name) for p in people if p.email.lower() not in reasons]
    added = store.add_subscribers(fresh, SubscriberStatus.ACTIVE, now) if fresh else []
    return ImportReport(added=added, skipped=skipped)


def skip_reasons(store: Store, emails: Sequence[str]) -> dict[str, str]:
    """Why each known or suppressed address among `emails` cannot be added, by lowercased
    address; addresses absent from the result are new."""
    reasons = {
        key: f"erased after being {why}: never re-added by an import or add"
        for key, why in store.suppressions(emails).items()
    }
    for key, person in store.find_subscribers(emails).items():
        reasons[key] = _refusal(person)
    return reasons


def _refusal(person: Subscriber) -> str:
    if not person.suppressed:
        return f"already subscribed ({person.status.value})"
    when = person.unsubscribed_at or person.bounced_at
    on = f" on {when:%Y-%m-%d}" if when else ""
    why = f" ({person.status_reason})" if person.status_reason else ""
    return f"{person.status.value}{on}{why}: never re-added by an import or add"


# -- the operator's lifecycle commands ----------------------------------------------------


def unsubscribe(store: Store, raw: str, now: datetime, by: str) -> Subscriber:
    """Unsubscribe someone for them (a request by mail, a complaint): the row stays, as
    the record that they must not be mailed, with when and why."""
    person = store.unsubscribe_subscriber(_key(raw), now, f"unsubscribed by the operator {by}")
    log.info("subscriber %d unsubscribed by the operator %s at %s", person.id, by, now)
    return person


def reactivate(store: Store, raw: str, now: datetime, by: str) -> Subscriber | None:
    """Undo a wrong bounce or unsubscribe (pending people are refused: only they can
    confirm). For an erased address, lifts its suppression and returns None."""
    email = _key(raw)
    before = store.find_subscribers([email]).get(email.lower())
    if before is None and store.lift_suppression(email):
        log.info("suppression of an erased address lifted by the operator %s at %s", by, now)
        return None
    person = store.reactivate_subscriber(email, now, f"reactivated by the operator {by}")
    log.info(
        "subscriber %d reactivated by the operator %s at %s (was %s)",
        person.id,
        by,
        now,
        before.status.value if before else "?",
    )
    return person


def remove(store: Store, raw: str, now: datetime) -> Subscriber:
    """Erase someone (their right to erasure): their row and delivery history go; if they
    had unsubscribed or bounced, only a hash of the address stays (see store.suppression)."""
    email = _key(raw)
    person = store.find_subscribers([email]).get(email.lower())
    if person is None or not store.remove_subscriber(email, now):
        raise SubscriberError(f"no subscriber {raw}", hint="digest subscribers list")
    return person


def _key(raw: str) -> str:
    """The address to look up: normalised like stored ones, or as given if invalid (a
    row inserted by hand must still be reachable by the operator)."""
    try:
        return normalise_address(raw)
    except ValueError:
        return raw.strip()


# -- reading a CSV --------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[_Person], list[Problem]]:
    # newline="": the csv module sees the file's own line ends, so a quoted name spanning
    # lines (or holding U+2028) stays one field, and is then refused by validate_name.
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _parse(path, handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError(f"cannot read {path}: {exc}", hint="a UTF-8 CSV file") from exc


def _parse(path: Path, handle: TextIO) -> tuple[list[_Person], list[Problem]]:
    reader = csv.reader(handle, delimiter=_delimiter(handle), strict=True)  # bad quotes: an error
    header = [_COLUMNS.get(f.strip().lower(), "") for f in next(reader, [])]
    if "email" not in header:
        raise DigestError(
            f"{path}: the first line must be a header with an 'email' column",
            hint="e.g. email,name (or email;nom)",
        )
    columns = (header.index("email"), header.index("name") if "name" in header else None)
    people: list[_Person] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row in _records(path, reader):
        person = _person(line, row, columns, problems)
        if person is None:
            continue
        first = seen.setdefault(person.email.lower(), line)
        if first != line:
            problems.append(Problem(line, person.given, f"duplicate of line {first}"))
            continue
        people.append(person)
    return people, problems


# Header names, English or French (a spreadsheet kept by a French team), to their column.
_COLUMNS = {
    "email": "email",
    "e-mail": "email",
    "courriel": "email",
    "name": "name",
    "nom": "name",
}


def _delimiter(handle: TextIO) -> str:
    """`;` when the header line has more of them than commas (a French spreadsheet's
    export), else `,`."""
    header = handle.readline()
    handle.seek(0)
    return ";" if header.count(";") > header.count(",") else ","


def _records(path: Path, reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the physical line it starts on (csv's line_num counts
    physical lines read, so a quoted field spanning lines moves it by more than one)."""
    start = reader.line_num + 1  # type: ignore[attr-defined]
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise DigestError(
                f"{path}: line {start}: {exc}", hint="check the quotes on that line"
            ) from exc
        if row is None:
            return
        if any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num + 1  # type: ignore[attr-defined]


def _person(
    line: int, row: list[str], columns: tuple[int, int | None], problems: list[Problem]
) -> _Person | None:
    email_at, name_at = columns
    raw = row[email_at].strip() if email_at < len(row) else ""
    try:
        email = normalise_address(raw)
    except ValueError as exc:
        problems.append(Problem(line, raw, f"invalid ({exc})"))
        return None
    try:
        name = validate_name(row[name_at] if name_at is not None and name_at < len(row) else None)
    except SubscriberError as exc:
        problems.append(Problem(line, raw, exc.message))
        return None
    return _Person(line, email, name, raw)
