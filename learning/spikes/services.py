"""The spike detector (issue 24 §2): more than ``SPIKE_MIN_INCIDENTS`` similar new incidents within
``SPIKE_WINDOW_MINUTES`` minutes, on the same service or sharing the words of their titles.

Each spike is reported once while it lasts: a burst that overlaps a spike still active (seen within the
window) extends it; only a burst after a quiet window is a new spike. The incident managers hear of it in
the app and by mail, with the incidents, and open a major incident with them as children in one click
(SPEC §8: declared, its clocks on the major-incident policy, the others linked as its children).

Restricted security incidents never take part: their own procedure handles them, and a spike's mail
must not carry their titles.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import queueing
from escalation.access import access_for
from escalation.choices import Level, Role
from incidents import permissions
from incidents import services as incident_services
from incidents.major.services.major import major_declare, major_link_child
from incidents.models import Incident
from incidents.notifications.delivery import EMAIL_TASK
from incidents.notifications.models import Notification
from incidents.records import texts
from incidents.records.models import OPEN_STATUSES

from ..models import Spike
from ..similar import _key, words_of

KIND = "spike"


def window() -> timedelta:
    return timedelta(minutes=settings.SPIKE_WINDOW_MINUTES)


def _recent(now: datetime) -> list[Incident]:
    return list(
        Incident.objects.filter(
            created_at__gt=now - window(),
            created_at__lte=now,
            status__in=OPEN_STATUSES,
            major_incident=False,
            parent__isnull=True,
            duplicate_of__isnull=True,
        )
        .exclude(permissions.RESTRICTED)
        .only("id", "number", "title", "service_id", "created_at")
        .order_by("created_at", "id")
    )


def _clusters(rows: list[Incident]) -> list[tuple[str, int | None, str, set[int]]]:
    """(kind, service id, words, incident ids) of each burst larger than the threshold: the services
    first, then the words of the titles, the most shared word first, each incident in one text burst."""
    more_than = settings.SPIKE_MIN_INCIDENTS
    found: list[tuple[str, int | None, str, set[int]]] = []
    by_service: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        if row.service_id:
            by_service[row.service_id].add(row.pk)
    for service_id, ids in sorted(by_service.items()):
        if len(ids) > more_than:
            found.append((Spike.Kind.SERVICE, service_id, "", ids))
    words = {row.pk: {_key(w): w for w in words_of(row.title)} for row in rows}
    left = set(words)
    while True:
        counts = Counter(k for pk in left for k in words[pk])
        if not counts:
            break
        key, n = counts.most_common(1)[0]
        if n <= more_than:
            break
        ids = {pk for pk in left if key in words[pk]}
        shared = Counter(k for pk in ids for k in words[pk])
        label = [
            next(words[pk][k] for pk in ids if k in words[pk])
            for k, c in shared.most_common(3)
            if c * 2 >= len(ids)
        ]
        found.append((Spike.Kind.TEXT, None, " ".join(label)[:200], ids))
        left -= ids
    return found


def _managers() -> list[Any]:
    users = get_user_model().objects.filter(groups__name=Role.INCIDENT_MANAGER, is_active=True)
    return list(users.distinct().order_by("pk"))


def _alert(spike: Spike, rows: list[Incident], now: datetime) -> list[int]:
    listing = "\n".join(f"- {r.number}: {r.title}" for r in rows)
    subject = _("Spike: %(n)s similar incidents in %(m)s minutes (%(label)s)") % {
        "n": len(rows),
        "m": settings.SPIKE_WINDOW_MINUTES,
        "label": spike.label,
    }
    url = reverse("learning:spikes") + f"#spike-{spike.pk}"
    body = _(
        "%(n)s similar incidents arrived within %(m)s minutes:\n\n%(listing)s\n\n"
        "Open a major incident with them as children: %(url)s"
    ) % {"n": len(rows), "m": settings.SPIKE_WINDOW_MINUTES, "listing": listing, "url": url}
    made = [
        Notification.objects.create(
            recipient=user,
            kind=KIND,
            key=f"spike:{spike.pk}",
            subject=subject[:255],
            body=body,
            url=url,
            created_at=now,
            email_to=user.email or "",
        )
        for user in _managers()
    ]
    for n in made:
        if n.email_to:
            queueing.enqueue_on_commit(EMAIL_TASK, n.pk)
    return [n.pk for n in made]


@transaction.atomic
def spikes_detect(*, now: datetime | None = None) -> list[Spike]:
    """Find the bursts of the last window; extend the spikes they continue, report the new ones once."""
    now = now or timezone.now()
    rows = _recent(now)
    by_pk = {r.pk: r for r in rows}
    # One detector at a time: the lock serialises concurrent sweeps on the active spikes.
    active = list(
        Spike.objects.select_for_update()
        .filter(last_seen_at__gte=now - window())
        .prefetch_related("incidents")
    )
    members = {s.pk: {i.pk for i in s.incidents.all()} for s in active}
    new: list[Spike] = []
    for kind, service_id, words, ids in _clusters(rows):
        same = next(
            (
                s
                for s in active
                if (kind == Spike.Kind.SERVICE and s.kind == kind and s.service_id == service_id)
                or members[s.pk] & ids
            ),
            None,
        )
        if same is not None:
            added = ids - members[same.pk]
            same.incidents.add(*added)
            members[same.pk] |= added
            Spike.objects.filter(pk=same.pk).update(last_seen_at=now)
            continue
        spike = Spike.objects.create(
            kind=kind, service_id=service_id, words=words, started_at=now, last_seen_at=now
        )
        spike.incidents.add(*ids)
        active.append(spike)
        members[spike.pk] = set(ids)
        _alert(spike, sorted((by_pk[i] for i in ids), key=lambda r: (r.created_at, r.pk)), now)
        new.append(spike)
    return new


@transaction.atomic
def spike_open_major(*, actor: Any, spike: Spike, now: datetime | None = None) -> Incident:
    """One click: a new incident declared major, with the spike's open incidents as its children."""
    now = now or timezone.now()
    if not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Only the incident manager opens a major incident from a spike."))
    spike = Spike.objects.select_for_update().get(pk=spike.pk)
    if spike.major_id is not None:
        raise ValidationError(_("A major incident is already open for this spike."))
    children = list(
        spike.incidents.filter(status__in=OPEN_STATUSES, parent__isnull=True).order_by("created_at")
    )
    listing = "\n".join(f"- {c.number}: {c.title}" for c in children)
    major = incident_services.incident_create(
        actor=actor,
        caller=actor,
        title=(_("Major incident: %(label)s") % {"label": spike.label})[:200],
        description=_("Opened from a spike of %(n)s similar incidents:\n\n%(listing)s")
        % {"n": len(children), "listing": listing},
        service=spike.service,
        impact=Level.HIGH,
        urgency=Level.HIGH,
        now=now,
    )
    major_declare(actor=actor, incident=major, reason_text=texts.message("major.spike"), now=now)
    for child in children:
        major_link_child(actor=actor, incident=major, child=child, now=now)
    spike.major = major
    spike.save(update_fields=["major"])
    return major
