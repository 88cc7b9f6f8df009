"""The embedded default's broker: kombu's filesystem transport, with messages that appear whole.

kombu 5.7's filesystem channel creates a message file, then locks it, then writes it. A worker
polling every 0.02 s (servicedesk/settings/dev.py) can move and read the file between the create
and the write, find it empty, and die of the JSONDecodeError ("Unrecoverable error") with the
web server still taking work: tests/test_embedded_concurrency.py saw it within 30 s of eight
people's load. Here a message is written under a name the consumer ignores and renamed into
place, which on one filesystem is atomic, so a reader sees the whole message or nothing.

``filesystem://`` names this transport from the moment the Celery app is loaded
(servicedesk/celery.py), in the web server as in the worker.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

ALIAS = "filesystem"


class Channel(filesystem.Channel):
    # kombu-stubs give the base channel's _put a `message` and the filesystem one's a `payload`.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        # The name kombu gives a message: the consumer takes files by their sorted names, so the
        # millisecond prefix keeps the order. The temporary name starts with a dot: its part after
        # the first dot never ends in "<queue>.msg", so the consumer passes it by.
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".{uuid.uuid4()}.writing")
        try:
            with open(temporary, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """Make ``filesystem://`` mean this transport (idempotent)."""
    TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
