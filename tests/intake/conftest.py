"""Mail intake tests: a Maildir of the test's own and the corpus of real-world-shaped messages."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from core import queueing
from intake.mailboxes import MaildirMailbox, ensure_maildir
from intake.polling import mailbox_poll
from tests.factories import make_user

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str, **replace: str) -> bytes:
    raw = (CORPUS / name).read_bytes()
    for key, value in replace.items():
        raw = raw.replace(b"{{" + key.encode() + b"}}", value.encode())
    return raw


class Inbox:
    def __init__(self, path: Path, on_commit=None) -> None:
        self.path = path
        self.on_commit = on_commit
        ensure_maildir(path)
        self.box = mailbox.Maildir(str(path), create=True)

    def drop(self, raw: bytes) -> str:
        """Deliver as an MTA does: written into tmp/, then moved into new/."""
        return self.box.add(raw)

    def poll(self, limit: int | None = None) -> dict[str, int]:
        """One poll. Its after-commit work runs (the test's transaction never commits), except
        Celery tasks, which would reach a shared broker: the rows they would act on are checked."""
        if self.on_commit is None:
            return mailbox_poll(mailbox=MaildirMailbox(self.path), limit=limit)
        with queueing.muted(), self.on_commit(execute=True):
            return mailbox_poll(mailbox=MaildirMailbox(self.path), limit=limit)

    def names(self, folder: str) -> list[str]:
        return sorted(p.name for p in (self.path / folder).iterdir())


@pytest.fixture
def inbox(tmp_path, settings, django_capture_on_commit_callbacks) -> Inbox:
    settings.INBOUND_MAILDIR = str(tmp_path / "inbox")
    return Inbox(tmp_path / "inbox", on_commit=django_capture_on_commit_callbacks)


@pytest.fixture
def bob(db):
    return make_user("bob1", first_name="Bob", last_name="Fischer", email="bob@example.org")
