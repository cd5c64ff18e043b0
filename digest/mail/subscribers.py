"""Subscribers' addresses and lists: an address normalised where it enters, and a CSV list
read whole, every bad line reported with its line number (nothing is stored here: the use
cases in digest.app.subscribe decide who is added)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from digest.errors import DigestError, SubscriberError
from digest.models import validate_name


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    email: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.email or '(empty)'}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Person:
    line: int  # the physical line the record starts on
    email: str  # normalised
    name: str | None
    given: str  # the address as the file spells it, for the problems listed


def normalise_address(raw: str) -> str:
    """The address as email-validator normalises it (syntax only: no DNS lookups)."""
    try:
        return str(validate_email(raw.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


# -- reading a CSV --------------------------------------------------------------------------


def read_people(path: Path) -> tuple[list[Person], list[Problem]]:
    """Everyone a CSV lists (a header row with an `email` column, optional `name`; `,` or
    `;`), and every bad line; DigestError when the file cannot be read as such a list."""
    # newline="": the csv module sees the file's own line ends, so a quoted name spanning
    # lines (or holding U+2028) stays one field, and is then refused by validate_name.
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _parse(path, handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError(f"cannot read {path}: {exc}", hint="a UTF-8 CSV file") from exc


def _parse(path: Path, handle: TextIO) -> tuple[list[Person], list[Problem]]:
    reader = csv.reader(handle, delimiter=_delimiter(handle), strict=True)  # bad quotes: an error
    header = [_COLUMNS.get(f.strip().lower(), "") for f in next(reader, [])]
    if "email" not in header:
        raise DigestError(
            f"{path}: the first line must be a header with an 'email' column",
            hint="e.g. email,name (or email;nom)",
        )
    columns = (header.index("email"), header.index("name") if "name" in header else None)
    people: list[Person] = []
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
) -> Person | None:
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
    return Person(line, email, name, raw)
