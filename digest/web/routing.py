"""The small WSGI layer the web applications share: a request, a response, a router.

An application lists its routes as (method, path pattern, handler); the router picks the
handler, and `respond` turns its `Response` into the WSGI call with the headers every page
carries. A handler takes the application's request (the preview's: a `Request`; the public
app's: the WSGI environ, whose body its forms read) and then the pattern's groups. No
framework: a handful of routes do not need one, and a WSGI callable runs in-process in
tests and under waitress in production alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, TypeVar
from urllib.parse import parse_qs

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]  # the first value of each parameter
    host: str  # the Host header without its port, lower-cased
    # The whole WSGI environ, for a handler that reads a posted body or a header.
    environ: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        fields = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=environ.get("PATH_INFO", "/") or "/",
            query={key: values[0] for key, values in fields.items()},
            host=_without_port(host).lower(),
            environ=environ,
        )


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


RequestT = TypeVar("RequestT")
# (the application's request, *the pattern's groups) -> Response
Handler = Callable[Concatenate[RequestT, ...], Response]


@dataclass(frozen=True, slots=True)
class Match(Generic[RequestT]):
    handler: Handler[RequestT] | None  # None: no route for this method (see `allowed`)
    groups: tuple[str, ...] = ()
    allowed: frozenset[str] = frozenset()  # methods the path answers; empty: no such path

    @property
    def allow_header(self) -> str:
        """The `Allow` value of a 405 (RFC 9110, 15.5.6): HEAD goes wherever GET does."""
        methods = self.allowed | ({"HEAD"} if "GET" in self.allowed else set())
        return ", ".join(sorted(methods))


class Router(Generic[RequestT]):
    """Routes in the order they were added; the first pattern that matches the path wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler[RequestT]]] = []

    def add(self, method: str, pattern: str, handler: Handler[RequestT]) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def match(self, method: str, path: str) -> Match[RequestT]:
        allowed: set[str] = set()
        for verb, pattern, handler in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            allowed.add(verb)
            # HEAD is GET without the body (RFC 9110, 9.3.2).
            if verb == method or (verb == "GET" and method == "HEAD"):
                return Match(handler, found.groups(), frozenset(allowed))
        return Match(None, (), frozenset(allowed))


def respond(
    response: Response,
    method: str,
    start_response: StartResponse,
    extra: Sequence[tuple[str, str]] = (),
) -> Iterable[bytes]:
    """Send `response` with the headers every page carries, then the application's `extra`."""
    headers = [
        ("Content-Type", response.content_type),
        ("Content-Length", str(len(response.body))),
        ("Cache-Control", "no-store"),  # drafts change under the editor's eyes
        ("X-Content-Type-Options", "nosniff"),
        *extra,
        *response.headers,
    ]
    start_response(response.status, headers)
    return [b"" if method == "HEAD" else response.body]


def _without_port(host: str) -> str:
    if host.startswith("["):  # [::1]:8000
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
