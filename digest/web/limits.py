"""Who is asking, and how often: the per-client cap of the subscribe form.

The client is the connection's address, or, when that address is a configured reverse
proxy (`web.trusted_proxies`), the right-most address of X-Forwarded-For that is not one of
those proxies: the left part of the header is whatever the client chose to send.
Counts live in this process (a few hundred bytes per client, bounded); several `serve`
processes behind one proxy each apply the cap, which the proxy's own rate limit completes.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

MAX_CLIENTS = 10_000  # beyond it the least recently seen client is forgotten


def client_address(environ: Mapping[str, Any], trusted_proxies: Iterable[str]) -> str:
    """The address the request came from, believing X-Forwarded-For only from a proxy."""
    networks = [ipaddress.ip_network(proxy) for proxy in trusted_proxies]
    peer = str(environ.get("REMOTE_ADDR", ""))
    if not networks or not _within(peer, networks):
        return peer
    forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _within(hop, networks):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _within(address: str, networks: list[Any]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


class ClientLimiter:
    """At most `most` events per client within `span` (a sliding window)."""

    def __init__(self, most: int, span: timedelta) -> None:
        self.most, self.span = most, span
        self._seen: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: datetime) -> bool:
        """Count this event; False (and not counted) when the client is over its cap."""
        with self._lock:
            times = self._seen.pop(client, None) or deque()
            while times and times[0] <= now - self.span:
                times.popleft()
            self._seen[client] = times  # re-inserted: most recently seen last
            if len(self._seen) > MAX_CLIENTS:
                self._seen.popitem(last=False)
            if len(times) >= self.most:
                return False
            times.append(now)
            return True
