"""One poll of the mailbox: each message taken in, set aside, or left for the next poll."""

from __future__ import annotations

import logging
from collections import Counter

from django.conf import settings
from django.db import InterfaceError, OperationalError

from .mailboxes import Item, Mailbox, configured_mailbox
from .parsing import Malformed
from .services import inbound_receive, inbound_set_aside

log = logging.getLogger(__name__)


def mailbox_poll(*, mailbox: Mailbox | None = None, limit: int | None = None) -> dict[str, int]:
    """Take in up to ``limit`` messages. Returns how many ended in each outcome.

    A message that cannot be read, or whose handling fails for a reason of its own, is set aside
    with the reason (Maildir ``failed/`` or the IMAP failed folder, and a ``failed`` record on the
    review page) and never retried by itself; the messages behind it go on.
    """
    mailbox = mailbox or configured_mailbox()
    counts: Counter[str] = Counter()
    for item in mailbox.items(limit or settings.INBOUND_POLL_BATCH):
        raw = b""
        try:
            raw = item.read()
            record = inbound_receive(raw=raw, size=item.size, source=item.ref)
        except (OSError, OperationalError, InterfaceError):
            # The mailbox or the database is away: nothing is wrong with the message. Stop here; it
            # stays unseen (IMAP) or claimed (Maildir, released after INBOUND_CLAIM_SECONDS).
            log.warning(
                "mail intake: poll stopped at %s; it is taken up again later", item.ref, exc_info=True
            )
            raise
        except Malformed as exc:
            _set_aside(item, raw, f"malformed: {exc}")
            counts["failed"] += 1
            continue
        except Exception as exc:
            log.exception("mail intake: %s could not be taken in", item.ref)
            _set_aside(item, raw, f"error while taking it in: {type(exc).__name__}: {exc}")
            counts["failed"] += 1
            continue
        item.done()
        counts[record.outcome if record else "duplicate"] += 1
    return dict(counts)


def _set_aside(item: Item, raw: bytes, reason: str) -> None:
    try:
        item.set_aside(reason)
    except Exception:
        log.exception("mail intake: could not move %s aside", item.ref)
    try:
        inbound_set_aside(raw=raw, source=item.ref, reason=reason)
    except Exception:
        log.exception("mail intake: could not record that %s was set aside", item.ref)
