"""The IMAP adapter's parsing boundary, on answers shaped as imaplib returns them.

What is ours in reading imaplib's answers, the size guard, and the settings that choose IMAP over
TLS, without a server; the same adapter against a real Dovecot is in test_imap_dovecot.py.
"""

from __future__ import annotations

import pytest

from intake.mailboxes import (
    ImapMailbox,
    MaildirMailbox,
    configured_mailbox,
    parse_fetch_body,
    parse_fetch_sizes,
    parse_uid_search,
)
from intake.parsing import parse
from tests.intake.conftest import corpus


def test_uid_search_answers_become_uids():
    assert parse_uid_search([b"4 17 18"]) == ["4", "17", "18"]
    assert parse_uid_search([b""]) == []
    assert parse_uid_search([None]) == []


def test_sizes_are_read_whatever_order_the_server_gives_the_items_in():
    data = [b"1 (UID 4 RFC822.SIZE 2301)", b"2 (RFC822.SIZE 99000000 UID 17)", b")"]
    assert parse_fetch_sizes(data) == {"4": 2301, "17": 99000000}


def test_the_body_literal_is_the_message():
    raw = corpus("multipart_alternative.eml")
    data = [(b"1 (UID 4 BODY[] {%d}" % len(raw), raw), b")"]
    assert parse(parse_fetch_body(data)).subject == "Monitor flickers on my desk"
    with pytest.raises(ValueError, match="no message body"):
        parse_fetch_body([b"1 (UID 4)"])


def test_imap_is_used_when_a_host_is_configured(settings, tmp_path):
    settings.INBOUND_IMAP_HOST = ""
    settings.INBOUND_MAILDIR = str(tmp_path)
    assert isinstance(configured_mailbox(), MaildirMailbox)
    settings.INBOUND_IMAP_HOST = "imap.example.org"
    assert isinstance(configured_mailbox(), ImapMailbox)
