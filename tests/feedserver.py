"""A real HTTP server on 127.0.0.1 for the feed tests.

Serves bodies with realistic headers (Content-Type with or without charset, ETag,
Last-Modified, gzip), answers conditional GETs with 304, and misbehaves on request: slow
answers, error statuses, endless redirects, huge streamed bodies, gzip bombs. Every request
is recorded with its headers so tests can check what the client sent.
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Route:
    """How the server answers GET on one path (the query string is ignored)."""

    body: bytes = b""
    content_type: str | None = "application/xml; charset=utf-8"  # None: no header at all
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False  # compress the body when the client accepts gzip
    precompressed: bool = False  # the body already is gzip data (a bomb): always say so
    delay: float = 0.0  # seconds to sleep before answering
    release: threading.Event | None = None  # if set: wait for it instead, `delay` at most
    redirect_to: str | None = None
    redirect_loop: bool = False  # 302 to the same path with ?hop=n+1, forever
    stream_size: int = 0  # stream this many bytes, without Content-Length, instead of body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, and the status it answered."""

    method: str
    path: str  # with its query string
    headers: dict[str, str]  # names lower-cased
    status: int
    client_port: int = 0  # which connection it came on (keep-alive reuses one)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping for a slow route never blocks close()
    # socketserver's default backlog of 5 drops the SYNs of a burst of parallel connections,
    # and the client retries one second later.
    request_queue_size = 128
    app: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client hanging up mid-answer is what the timeout and cap tests are about.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Headers and body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK: 40 ms per 200 answer on Linux.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        # Every answer goes through here, so this records each request with its status.
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest(self.command, self.path, headers, code, self.client_address[1])
        self.server.app.record(request)
        super().send_response(code, message)

    def do_GET(self) -> None:
        route = self.server.app.routes.get(urlsplit(self.path).path)
        try:
            self._answer(route)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _answer(self, route: Route | None) -> None:
        if route is None:
            self._send(404, b"no such path", {"Content-Type": "text/plain"})
            return
        if route.release is not None:
            route.release.wait(route.delay)
        elif route.delay:
            time.sleep(route.delay)
        if route.redirect_loop:
            hop = int(parse_qs(urlsplit(self.path).query).get("hop", ["0"])[0]) + 1
            self._send(302, b"", {"Location": f"{urlsplit(self.path).path}?hop={hop}"})
        elif route.redirect_to:
            self._send(301, b"", {"Location": route.redirect_to})
        elif route.status != 200:
            self._send(route.status, route.body, {"Content-Type": "text/html"})
        elif self._not_modified(route):
            self._send(304, b"", self._validators(route))
        elif route.stream_size:
            self._stream(route)
        else:
            self._send_body(route)

    def _not_modified(self, route: Route) -> bool:
        """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only when it is absent."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return route.etag is not None and (route.etag.removeprefix("W/") in tags or "*" in tags)
        since = self.headers.get("If-Modified-Since")
        if since is None or route.last_modified is None:
            return False
        try:
            return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    @staticmethod
    def _validators(route: Route) -> dict[str, str]:
        headers = {}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        return headers

    def _send_body(self, route: Route) -> None:
        headers = {**self._validators(route), **route.headers}
        if route.content_type:
            headers["Content-Type"] = route.content_type
        body = route.body
        if route.precompressed:
            headers["Content-Encoding"] = "gzip"
        elif route.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        self._send(200, body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, route: Route) -> None:
        """A close-delimited body: the client learns its size only by reading it."""
        self.send_response(200)
        self.send_header("Content-Type", route.content_type or "application/xml")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"<!-- padding -->" * 4096  # 64 KiB
        sent = 0
        while sent < route.stream_size:
            piece = chunk[: route.stream_size - sent]
            self.wfile.write(piece)
            sent += len(piece)


class FeedServer:
    """The server and its routes; start it with `with FeedServer() as server:`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.app = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, route: Route) -> str:
        """Serve `route` at `path`; returns its URL."""
        self.routes[path] = route
        return self.url(path)

    def add_file(self, path: str, file: Path, **options: Any) -> str:
        return self.add(path, Route(body=file.read_bytes(), **options))

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if urlsplit(r.path).path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()


@functools.cache
def gzip_bomb(inflated_size: int) -> bytes:
    """A gzip body of a few hundred KB that inflates to `inflated_size` zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(inflated_size >> 20)]
    parts.append(compressor.compress(bytes(inflated_size & ((1 << 20) - 1))))
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer, stopped after the test."""
    with FeedServer() as server:
        yield server
