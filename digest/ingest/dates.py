"""The date a document gives for a story's event (« le 18 mars », « le 30 janvier 2026 »).

Takes a story's text, the document's year and the ingest time; gives a `date` or None.
A day without a year takes the document's year (the year of its title, « Veille IA –
Mars 2025 », else the year it names most often, else the ingest year), and the year
before when that would put the event after the ingest: a document talks about what has
happened, and a monthly report read in January still means last December.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

MONTHS = {
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
}
_MONTH = "|".join(MONTHS)
_DAY_MONTH = re.compile(
    rf"(?<!\w)(?P<day>1er|[0-3]?\d)\s+(?P<month>{_MONTH})(?:\s+(?P<year>(?:19|20)\d\d))?(?!\w)",
    re.IGNORECASE,
)
# APA-style references: « Frandroid. (2025, 12 novembre). Titre » (seed 000).
_YEAR_DAY_MONTH = re.compile(
    rf"\((?P<year>(?:19|20)\d\d),\s*(?P<day>1er|[0-3]?\d)\s+(?P<month>{_MONTH})\)", re.IGNORECASE
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def document_year(title: str | None, text: str, now: datetime | None) -> int | None:
    """The year a document is about: its title's, else the one it names most, else now's."""
    latest = now.year if now else 9999
    for source in (title or "", text):
        years = Counter(int(y) for y in _YEAR.findall(source) if int(y) <= latest)
        if years:
            return years.most_common(1)[0][0]
    return now.year if now else None


def event_date(text: str, year: int | None, now: datetime | None) -> date | None:
    """The first real calendar date the text gives, its year resolved as the module says."""
    for pattern in (_YEAR_DAY_MONTH, _DAY_MONTH):
        for match in pattern.finditer(text):
            found = _as_date(match, year, now)
            if found is not None:
                return found
    return None


def _as_date(match: re.Match[str], year: int | None, now: datetime | None) -> date | None:
    day = 1 if match["day"].lower() == "1er" else int(match["day"])
    month = MONTHS[match["month"].lower()]
    try:
        if match["year"]:
            return date(int(match["year"]), month, day)
        if year is None:
            return None
        found = date(year, month, day)
        return found if now is None or found <= now.date() else date(year - 1, month, day)
    except ValueError:  # « 31 février »: not a date
        return None
