"""Suppressions: what is left of an erased unsubscriber or bounced address.

`digest subscribers remove` erases a person (their row, their delivery history). If they
had unsubscribed or bounced, forgetting them entirely would let the next import of an old
spreadsheet mail them again; so only a SHA-256 of the lowercased address is kept, which
names nobody but recognises the address when it comes back (issue 10, item 4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.models import SubscriberStatus
from digest.store.schema import SuppressionRow

SUPPRESSED = (SubscriberStatus.UNSUBSCRIBED.value, SubscriberStatus.BOUNCED.value)


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def keep_suppressed(s: Session, email: str, status: str, now: datetime) -> None:
    """Record the erased address's hash (once: a second removal changes nothing)."""
    key = email_hash(email)
    if s.get(SuppressionRow, key) is None:
        s.add(SuppressionRow(email_hash=key, reason=f"{status}, then erased", created_at=now))


def suppressed_hashes(s: Session, emails: Iterable[str]) -> dict[str, str]:
    """The reason each of these addresses is suppressed, by lowercased address."""
    by_hash = {email_hash(e): e.lower() for e in emails}
    rows = s.execute(
        select(SuppressionRow.email_hash, SuppressionRow.reason).where(
            SuppressionRow.email_hash.in_(list(by_hash))
        )
    )
    return {by_hash[key]: reason for key, reason in rows}
