"""Two pollers on one Maildir, against the real PostgreSQL: every message is taken in once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from incidents.models import Incident
from intake.mailboxes import MaildirMailbox
from intake.models import InboundMessage
from intake.polling import mailbox_poll
from tests.factories import make_user
from tests.intake.test_routing import message


@pytest.mark.django_db(transaction=True)
def test_two_pollers_on_the_same_maildir_take_each_message_in_once(inbox):
    make_user("alice1", email="alice@example.org")
    unique = [message(subject=f"Problem {n}", body=f"Details {n}.") for n in range(16)]
    for raw in unique:
        inbox.drop(raw)
    for raw in unique[:4]:  # the same Message-IDs again, as a second delivery would leave them
        inbox.drop(raw)

    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def poller() -> None:
        try:
            barrier.wait()
            results.append(mailbox_poll(mailbox=MaildirMailbox(inbox.path), limit=100))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not errors, errors
    assert Incident.objects.count() == 16
    assert InboundMessage.objects.count() == 16
    assert sum(r.get("opened", 0) for r in results) == 16
    assert sum(r.get("duplicate", 0) for r in results) == 4
    assert inbox.names("new") == [] and all(n.endswith(":2,S") for n in inbox.names("cur"))
