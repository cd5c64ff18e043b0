"""Times as the editors read them: in the newsletter's timezone (`timezone:`, Europe/Paris
by default), named, so « 08:00 » is never mistaken for UTC. The store and the JSON keep UTC."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, timezone: str) -> datetime:
    """An aware time in `timezone` (an IANA name the settings validated)."""
    return moment.astimezone(_zone(timezone))


def local_minute(moment: datetime, timezone: str) -> str:
    """« 2026-11-20 10:30 Europe/Paris »: a time to the minute, with its zone."""
    return f"{local(moment, timezone):%Y-%m-%d %H:%M} {timezone}"


def local_day(moment: datetime, timezone: str) -> str:
    """« 2026-11-20 »: the day it is in `timezone` (an issue's period from midnight UTC is
    still the day before in Paris)."""
    return f"{local(moment, timezone):%Y-%m-%d}"
