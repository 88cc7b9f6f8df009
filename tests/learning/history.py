"""Generated history with a known structure, for the learning tests and the bench.

Eight kinds of fault, each with its own words and its own category, service, group and priority.
A ticket is two or three of its kind's words among filler words any ticket may have; a share of
the tickets (``noise``) carries labels drawn at random, as real desks mislabel. So a model that
learns the structure reaches about ``1 - noise`` top-1 accuracy, and the most frequent class
about one in eight."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from learning.engine import Example


@dataclass(frozen=True)
class Kind:
    words: tuple[str, ...]
    category: int
    service: int
    group: int
    priority: int


KINDS = (
    Kind(("vpn", "tunnel", "disconnects", "remote", "anyconnect"), 11, 101, 201, 3),
    Kind(("printer", "toner", "paper", "jam", "print"), 12, 102, 202, 4),
    Kind(("password", "expired", "reset", "forgot", "login"), 13, 103, 203, 4),
    Kind(("database", "query", "timeout", "deadlock", "replication"), 14, 104, 204, 2),
    Kind(("outlook", "mailbox", "email", "calendar", "shared"), 15, 105, 205, 3),
    Kind(("wifi", "wireless", "access", "point", "signal"), 16, 106, 201, 3),
    Kind(("laptop", "battery", "screen", "keyboard", "boot"), 17, 107, 206, 4),
    Kind(("payroll", "salary", "payslip", "erp", "invoice"), 18, 108, 207, 1),
)
FILLER = ("please", "help", "urgent", "since", "morning", "again", "cannot", "work", "today", "issue", "not")


def generate(n: int, *, months: int = 4, noise: float = 0.1, seed: int = 7, end: datetime | None = None):
    rng = random.Random(seed)
    end = end or datetime(2026, 11, 30, 12, 0)
    start = end - timedelta(days=30 * months)
    span = (end - start).total_seconds()
    out = []
    for i in range(n):
        kind = rng.choice(KINDS)
        words = rng.sample(kind.words, rng.randint(2, 3)) + rng.sample(FILLER, rng.randint(1, 3))
        rng.shuffle(words)
        labels = {
            "category": kind.category,
            "service": kind.service,
            "assignment_group": kind.group,
            "priority": kind.priority,
        }
        if rng.random() < noise:
            other = rng.choice(KINDS)
            labels = {
                "category": other.category,
                "service": other.service,
                "assignment_group": other.group,
                "priority": other.priority,
            }
        out.append(
            Example(
                title=" ".join(words).capitalize(),
                description=" ".join(rng.sample(FILLER, 4)),
                channel=rng.choice(["phone", "email", "portal"]),
                created_at=start + timedelta(seconds=span * i / n),
                labels=labels,
            )
        )
    return out
