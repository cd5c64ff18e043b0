"""Subscribers: addresses validated, imports all-or-nothing with every bad line reported."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.errors import DigestError
from digest.models import Subscriber, SubscriberStatus
from digest.store import Store


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    email: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.email or '(empty)'}: {self.reason}"


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
    try:
        email = normalise_address(raw)
    except ValueError as exc:
        raise DigestError(f"{raw!r} is not a valid address: {exc}") from exc
    return store.add_subscribers([(email, name or None)], status, now)[0]


def import_subscribers(store: Store, path: Path, now: datetime) -> list[Subscriber]:
    """Import a CSV (header row with an `email` column, optional `name`): every line valid
    and new, or nothing imported and every problem listed."""
    people, problems = _read(path)
    known = store.find_subscribers(email for email, _ in people)
    for line, (email, _name) in enumerate(people, 2):
        existing = known.get(email.lower())
        if existing is not None:
            why = (
                "unsubscribed: never re-added by an import"
                if existing.status is SubscriberStatus.UNSUBSCRIBED
                else f"already a subscriber ({existing.status.value})"
            )
            problems.append(Problem(line, email, why))
    if problems:
        listed = "\n".join(f"  {p}" for p in sorted(problems, key=lambda p: p.line))
        raise DigestError(
            f"{path}: {len(problems)} bad line(s), nothing imported:\n{listed}",
            hint="fix or remove those lines and import again",
        )
    return store.add_subscribers([(e, n) for e, n in people if e], SubscriberStatus.ACTIVE, now)


def _read(path: Path) -> tuple[list[tuple[str, str | None]], list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError(f"cannot read {path}: {exc}", hint="a UTF-8 CSV file") from exc
    rows = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in rows.fieldnames or []]
    if "email" not in fields:
        raise DigestError(
            f"{path}: the first line must be a header with an 'email' column",
            hint="e.g. email,name",
        )
    people: list[tuple[str, str | None]] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, 2):
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        raw, name = values.get("email", ""), values.get("name") or None
        try:
            email = normalise_address(raw)
        except ValueError as exc:
            problems.append(Problem(line, raw, f"invalid ({exc})"))
            people.append(("", None))  # keeps line numbers aligned
            continue
        if email.lower() in seen:
            problems.append(Problem(line, raw, f"duplicate of line {seen[email.lower()]}"))
            people.append(("", None))
            continue
        seen[email.lower()] = line
        people.append((email, name))
    return people, problems
