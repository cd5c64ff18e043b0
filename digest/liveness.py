"""Is the process behind a lease or a claim still alive?

Holders name themselves `host:pid` (the scheduler lease) or `host:pid:suffix` (a send
worker's claim). On this host a gone pid is certain, so its lease or claim is taken over at
once instead of after its expiry; a holder on another host is judged by expiry alone.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable


def is_gone(holder: str) -> bool:
    """True when `holder` ran on this host and its process no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def gone_holders(holders: Iterable[str]) -> list[str]:
    """The holders among `holders` whose process is gone (killed, crashed)."""
    return [holder for holder in holders if is_gone(holder)]
