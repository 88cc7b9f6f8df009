"""Where messages come from: a Maildir (embedded default, tests) or an IMAP folder over TLS.

A mailbox hands out ``Item``s. Each is claimed by one poller only (a Maildir file by an atomic
rename out of ``new/``; an IMAP message by its UID, with the database's unique Message-ID key as
the guard when two pollers fetch the same one) and ends as ``done()`` or ``set_aside(reason)``.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import mailbox
import os
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

log = logging.getLogger(__name__)
HEADER_BYTES = 64 * 1024  # what is read of a message too large to take in, to answer its sender


class Item(Protocol):
    ref: str
    size: int

    def read(self) -> bytes: ...
    def done(self) -> None: ...
    def set_aside(self, reason: str) -> None: ...


class Mailbox(Protocol):
    def items(self, limit: int) -> Iterator[Item]: ...


def configured_mailbox() -> Mailbox:
    if settings.INBOUND_IMAP_HOST:
        return ImapMailbox()
    return MaildirMailbox(Path(settings.INBOUND_MAILDIR))


def ensure_maildir(path: Path) -> None:
    """Create ``new/``, ``cur/``, ``tmp/`` and ``failed/`` (``mailbox.Maildir`` makes the first three).

    ``mailbox.Maildir`` creates only the last directory of the path: on a fresh clone ``var/`` is not
    there yet, so its parents are made first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(str(path), create=True)
    (path / "failed").mkdir(exist_ok=True)


@dataclass
class MaildirItem:
    path: Path  # in cur/, claimed
    ref: str
    size: int
    maildir: Path

    def read(self) -> bytes:
        with self.path.open("rb") as f:
            if self.size > settings.INBOUND_MAX_MESSAGE_BYTES:
                return f.read(HEADER_BYTES)
            return f.read()

    def done(self) -> None:
        # Maildir's "seen" flag: the message stays readable in cur/ as the mailbox's own record.
        self.path.rename(self.path.with_name(self.path.name + "S"))

    def set_aside(self, reason: str) -> None:
        failed = self.maildir / "failed"
        failed.mkdir(exist_ok=True)
        target = failed / self.path.name.split(":", 1)[0]
        self.path.rename(target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


class MaildirMailbox:
    """A Maildir polled every minute. Any number of pollers may share it.

    A file is claimed by renaming it from ``new/`` into ``cur/`` with the ``:2,`` info suffix: a
    rename is atomic, so of two pollers exactly one gets the file and the other gets
    ``FileNotFoundError``. A claimed file whose poller died (``:2,`` without the ``S`` flag for longer
    than ``INBOUND_CLAIM_SECONDS``) is moved back to ``new/`` by the next poll, the same way.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def items(self, limit: int) -> Iterator[Item]:
        ensure_maildir(self.path)
        self._release_stale_claims()
        new = self.path / "new"
        names = sorted(n for n in os.listdir(new) if not n.startswith("."))
        taken = 0
        for name in names:
            if taken >= limit:
                return
            base = name.split(":", 1)[0]
            claimed = self.path / "cur" / f"{base}:2,"
            try:
                os.rename(new / name, claimed)
            except FileNotFoundError:
                continue  # another poller claimed it first
            taken += 1
            yield MaildirItem(
                path=claimed, ref=f"maildir:{base}", size=claimed.stat().st_size, maildir=self.path
            )

    def _release_stale_claims(self) -> None:
        cutoff = time.time() - settings.INBOUND_CLAIM_SECONDS
        cur = self.path / "cur"
        for name in os.listdir(cur):
            if not name.endswith(":2,"):
                continue
            path = cur / name
            try:
                if path.stat().st_ctime < cutoff:
                    os.rename(path, self.path / "new" / name.split(":", 1)[0])
                    log.warning("mail intake: released the stale claim on %s", name)
            except FileNotFoundError:
                continue


# --- IMAP ---------------------------------------------------------------------------------------

_FETCH_SIZE = re.compile(rb"UID (\d+).*RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*UID (\d+)")


def parse_uid_search(data: list[Any]) -> list[str]:
    """UIDs out of ``UID SEARCH``'s answer (``[b"1 2 3"]``)."""
    return [uid.decode() for chunk in data if chunk for uid in chunk.split()]


def parse_fetch_sizes(data: list[Any]) -> dict[str, int]:
    """``{uid: size}`` out of ``UID FETCH … (UID RFC822.SIZE)``; servers order the items as they like."""
    sizes: dict[str, int] = {}
    for chunk in data:
        line = chunk[0] if isinstance(chunk, tuple) else chunk
        if not line:
            continue
        m = _FETCH_SIZE.search(line)
        if m:
            uid, size = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            sizes[uid.decode()] = int(size)
    return sizes


def parse_fetch_body(data: list[Any]) -> bytes:
    """The literal of ``UID FETCH … (BODY.PEEK[])``: imaplib returns it as the tuple's second item."""
    for chunk in data:
        if isinstance(chunk, tuple) and len(chunk) == 2:
            return chunk[1]
    raise ValueError("the server returned no message body")


@dataclass
class ImapItem:
    box: ImapMailbox
    uid: str
    size: int
    ref: str = ""

    def __post_init__(self) -> None:
        self.ref = f"imap:{settings.INBOUND_IMAP_FOLDER}:{self.uid}"

    def read(self) -> bytes:
        what = "BODY.PEEK[HEADER]" if self.size > settings.INBOUND_MAX_MESSAGE_BYTES else "BODY.PEEK[]"
        status, data = self.box.conn.uid("FETCH", self.uid, f"({what})")
        if status != "OK":
            raise OSError(f"IMAP FETCH {self.uid!r} answered {status}")
        return parse_fetch_body(data)

    def done(self) -> None:
        self.box.conn.uid("STORE", self.uid, "+FLAGS", "(\\Seen)")

    def set_aside(self, reason: str) -> None:
        """Copy to the failed folder and remove from the polled one; if the copy fails, the message is
        still flagged seen, so that it is never taken up again by itself."""
        conn = self.box.conn
        folder = settings.INBOUND_IMAP_FAILED_FOLDER
        conn.create(folder)  # answers NO when it exists; harmless
        status, _ = conn.uid("COPY", self.uid, folder)
        if status == "OK":
            conn.uid("STORE", self.uid, "+FLAGS", "(\\Deleted \\Seen)")
            conn.expunge()
        else:
            conn.uid("STORE", self.uid, "+FLAGS", "(\\Seen)")
            log.error("mail intake: %s could not be copied to %s; left flagged seen", self.ref, folder)
        log.error("mail intake: %s set aside: %s", self.ref, reason)


class ImapMailbox:
    """An IMAP folder over TLS. Unseen messages are taken in and flagged ``\\Seen``."""

    conn: imaplib.IMAP4_SSL

    def items(self, limit: int) -> Iterator[Item]:
        # The system's trust store, or only the CAs in INBOUND_IMAP_CA_FILE (a private CA); the host
        # name is checked either way.
        context = ssl.create_default_context(cafile=settings.INBOUND_IMAP_CA_FILE or None)
        self.conn = imaplib.IMAP4_SSL(
            settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, ssl_context=context, timeout=30
        )
        try:
            self.conn.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
            status, _ = self.conn.select(settings.INBOUND_IMAP_FOLDER)
            if status != "OK":
                raise OSError(f"IMAP folder {settings.INBOUND_IMAP_FOLDER} cannot be selected")
            status, data = self.conn.uid("SEARCH", "UNSEEN")
            uids = parse_uid_search(data)[:limit]
            if not uids:
                return
            status, data = self.conn.uid("FETCH", ",".join(uids), "(UID RFC822.SIZE)")
            sizes = parse_fetch_sizes(data)
            for uid in uids:
                yield ImapItem(box=self, uid=uid, size=sizes.get(uid, 0))
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.conn.logout()
