"""A real SMTP server (aiosmtpd) in the test process, recording what it receives."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.workers import free_port


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps every message; ``on_data`` runs before the server answers DATA."""

    messages: list[Message] = field(default_factory=list)
    on_data: Callable[[Message], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # addresses the server refuses (550), and the connections that delivered a message
    refuse: set[str] = field(default_factory=set)
    sessions: set[int] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.sessions.add(id(session))
        if self.on_data is not None:
            self.on_data(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in (m["To"] or "")]


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = port or free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def smtp_settings(port: int) -> dict[str, Any]:
    """Django settings that send through the server on ``port``."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }
