"""Use case: a subscriber's preferences page (issue 14, item 4), reached from every mail
by the signed token of its unsubscribe link: pause for a few weeks, resume now,
unsubscribe. A pause is a time on the row (see digest.store.events): sends leave the
person out until then, with no delivery row (nothing failed, nothing skipped), and the
next issue after it reaches them again without anyone doing anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from digest.app.subscribe import subscriber_for_unsubscribe_link, unsubscribe_by_link
from digest.models import Subscriber
from digest.store import Store

log = logging.getLogger(__name__)

PAUSE_WEEKS = (2, 4, 8)  # what the page offers; anything else is refused
UNSUBSCRIBED_BY_PREFERENCES = "unsubscribed by the person (preferences page)"


class Choice(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    UNSUBSCRIBE = "unsubscribe"


class Outcome(StrEnum):
    PAUSED = "paused"
    RESUMED = "resumed"
    UNSUBSCRIBED = "unsubscribed"
    NOT_ACTIVE = "not active"  # unsubscribed, bounced or pending: nothing to pause


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: Outcome
    subscriber: Subscriber  # as they are now


def subscriber_for_preferences(store: Store, secret: str, token: str) -> Subscriber | None:
    """Whom a preferences link is for (the unsubscribe link's token); None when forged or
    their row is gone."""
    return subscriber_for_unsubscribe_link(store, secret, token)


def apply_choice(
    store: Store, secret: str, token: str, choice: Choice, weeks: int | None, now: datetime
) -> Applied | None:
    """Do what the person chose; None for a bad link. A pause needs `weeks` among
    PAUSE_WEEKS (ValueError otherwise) and replaces any pause before it, so the same post
    twice pauses as long as once. Every choice is idempotent."""
    person = subscriber_for_preferences(store, secret, token)
    if person is None:
        return None
    if choice is Choice.UNSUBSCRIBE:
        gone = unsubscribe_by_link(store, secret, token, now, UNSUBSCRIBED_BY_PREFERENCES)
        return (
            Applied(Outcome.UNSUBSCRIBED, store.get_subscriber(gone.id) or gone) if gone else None
        )
    if choice is Choice.PAUSE:
        if weeks not in PAUSE_WEEKS:
            raise ValueError(f"a pause of {weeks} weeks is not offered ({PAUSE_WEEKS})")
        after = store.pause_subscriber(person.id, now + timedelta(weeks=weeks), now)
        outcome = Outcome.PAUSED
    else:
        after = store.resume_subscriber(person.id, now)
        outcome = Outcome.RESUMED
    if after is None:
        return Applied(Outcome.NOT_ACTIVE, person)
    log.info("web: subscriber %d %s (until %s)", after.id, outcome, after.paused_until)
    return Applied(outcome, after)
