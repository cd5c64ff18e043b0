"""A real SMTP server on loopback (aiosmtpd) whose answers each test can script."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest


@dataclass
class Received:
    sender: str
    recipient: str
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """Answers 250 unless told otherwise, per recipient."""

    received: list[Received] = field(default_factory=list)
    rcpt_answers: dict[str, str] = field(default_factory=dict)  # address -> "451 4.7.1 …"
    drop_once: set[str] = field(default_factory=set)  # close the connection at DATA, once
    mail_answer: str | None = None  # answer every MAIL FROM with this ("421 4.3.2 …")
    data_answers: dict[str, str] = field(default_factory=dict)  # address -> answer at DATA
    data_answer: str | None = None  # answer every DATA with this ("550 5.7.1 …")
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.mail_answer:
            return self.mail_answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answer = self.rcpt_answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0]
        refusal = self.data_answers.get(recipient) or self.data_answer
        if refusal:
            return refusal
        with self.lock:
            if recipient in self.drop_once:
                self.drop_once.discard(recipient)
                server.transport.close()  # the connection drops before the answer
                return "421 closing"
            for to in envelope.rcpt_tos:
                self.received.append(
                    Received(envelope.mail_from, to, envelope.original_content or envelope.content)
                )
        return "250 Message accepted"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.recipient == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int | None = None, *, smtputf8: bool = False) -> None:
        from aiosmtpd.controller import Controller

        self.handler = Handler()
        self.port = port or free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=none"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()
