"""The `web:` block of the configuration: limits of the public endpoints of `digest serve`."""

from __future__ import annotations

import ipaddress
from typing import Any

from digest.settings import WebSettings
from digest.validation import Checker

_WEB_KEYS = (
    "threads",
    "connection_limit",
    "channel_timeout_seconds",
    "max_request_body_bytes",
    "max_request_header_bytes",
    "trusted_proxies",
    "subscribes_per_client_per_hour",
    "confirm_every_seconds",
)


def check_web(value: Any, check: Checker) -> WebSettings:
    raw = check.mapping(value, "web", _WEB_KEYS)
    default = WebSettings()

    def number(key: str) -> float:
        return check.number(raw.get(key), f"web.{key}", getattr(default, key))

    return WebSettings(
        threads=int(number("threads")),
        connection_limit=int(number("connection_limit")),
        channel_timeout_seconds=number("channel_timeout_seconds"),
        max_request_body_bytes=int(number("max_request_body_bytes")),
        max_request_header_bytes=int(number("max_request_header_bytes")),
        trusted_proxies=_proxies(raw.get("trusted_proxies"), check),
        subscribes_per_client_per_hour=int(number("subscribes_per_client_per_hour")),
        confirm_every_seconds=number("confirm_every_seconds"),
    )


def _proxies(value: Any, check: Checker) -> tuple[str, ...]:
    proxies = []
    for i, entry in enumerate(check.items(value, "web.trusted_proxies")):
        try:
            proxies.append(str(ipaddress.ip_network(str(entry), strict=False)))
        except ValueError:
            check.add(
                f"web.trusted_proxies[{i}]",
                f"'{entry}' is not an address or network (e.g. 127.0.0.1 or 10.0.0.0/8)",
            )
    return tuple(proxies)
