"""The portal's demo data: alice and bob each have open and resolved incidents of their own,
reported in the portal, with a colleague watching and notifications waiting to be read.

Called once by ``demo.seed.load_demo`` inside its muted transaction, after the history.
Deterministic (no randomness) and cheap: five incidents written through the services.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from escalation.models import SupportGroup
from incidents import services
from incidents.models import IncidentEvent, Notification
from incidents.notifications.delivery import LIFECYCLE_RULES, notify_lifecycle
from portal.services import portal_report


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _watch(*, actor: Any, incident: Any, watcher: Any, now: Any) -> None:
    """Add by email as a caller would; skipped where an older account shares the address."""
    try:
        with transaction.atomic():
            services.watcher_add(actor=actor, incident=incident, email=watcher.email, now=now)
    except ValidationError:
        pass


def load_portal_demo() -> int:
    """Returns how many incidents it wrote."""
    now = timezone.now()
    alice, bob, agent, tech = (_user(n) for n in ("alice", "bob", "agent", "tech"))
    technical = SupportGroup.objects.get(slug="technical-support")

    def report(who: Any, title: str, description: str, hours_ago: float, **answers: str):
        return portal_report(
            actor=who,
            title=title,
            description=description,
            stops_work=answers.get("stops_work", "slowed"),
            affected=answers.get("affected", "me"),
            location=answers.get("location", ""),
            now=now - timedelta(hours=hours_ago),
        )

    # alice: one open with a reply and bob watching, one resolved and waiting for her confirmation
    screen = report(
        alice,
        "Second screen stays black",
        "Since the docking station was replaced.",
        5,
        location="Building A, 3rd floor",
    )
    services.incident_assign(
        actor=agent,
        incident=screen,
        expected_version=None,
        assignment_group=technical,
        assigned_to=tech,
        now=now - timedelta(hours=4),
    )
    _watch(actor=alice, incident=screen, watcher=bob, now=now - timedelta(hours=4))
    services.incident_comment(
        actor=tech,
        incident=screen,
        public=True,
        now=now - timedelta(hours=3),
        body="Could you try the other DisplayPort cable on your desk?",
    )
    services.incident_comment(
        actor=tech,
        incident=screen,
        public=False,
        now=now - timedelta(hours=3),
        body="Docking firmware 1.4 is known to drop the second output.",
    )
    printer = report(
        alice, "Cannot print to the 3rd floor printer", "Jobs stay in the queue.", 26, stops_work="nuisance"
    )
    services.incident_resolve(
        actor=agent,
        incident=printer,
        expected_version=None,
        resolution_code="workaround",
        now=now - timedelta(hours=2),
        resolution_notes="The print queue was stuck; it is cleared and printing again.",
    )

    # bob: one open, one resolved and confirmed
    vpn = report(bob, "VPN disconnects every few minutes", "At home, on Wi-Fi.", 2, stops_work="blocked")
    _watch(actor=bob, incident=vpn, watcher=alice, now=now - timedelta(hours=1))
    mail = report(bob, "Shared calendar does not open", "Outlook says it has no permission.", 50)
    services.incident_resolve(
        actor=agent,
        incident=mail,
        expected_version=None,
        resolution_code="permanent_fix",
        now=now - timedelta(hours=30),
        resolution_notes="Permission restored on the team calendar.",
    )
    services.incident_close(actor=bob, incident=mail, expected_version=None, now=now - timedelta(hours=29))
    starter = report(bob, "New starter needs a laptop", "Starts Monday.", 0.5, affected="several")

    # The in-app notifications these stories make; marked emailed, so that nothing is mailed on start.
    events = list(
        IncidentEvent.objects.filter(
            incident__in=[screen, printer, vpn, mail, starter], notified_at__isnull=True
        ).select_related("incident", "actor")
    )
    for event in events:
        if event.kind in LIFECYCLE_RULES:
            notify_lifecycle(event)
    IncidentEvent.objects.filter(pk__in=[e.pk for e in events]).update(notified_at=now)
    Notification.objects.filter(event__in=events, emailed_at__isnull=True).update(emailed_at=now)
    return 5
