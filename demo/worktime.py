"""Demo time worked, a split and a merge (issue 23 §3, §4): the time report, the monthly report's time by
group and the incident CSV's minutes have something to show, one incident shows a comment split off, and
one a duplicate merged into it."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from escalation.models import Membership
from incidents import services as incident_services
from incidents.models import Incident, IncidentEvent, Status
from toolkit.models import TimeEntry

NOTES = ["Called the user", "Checked the logs", "Remote session", "Replaced the part", "Tested the fix", ""]


def load_time_demo(*, incidents: int = 400) -> int:
    """Time entries on resolved demo incidents (by members of the group that held each), then a split."""
    rng = random.Random(23)
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, user_id in Membership.objects.order_by("group_id", "user_id").values_list(
        "group_id", "user_id"
    ):
        members[group_id].append(user_id)
    rows = (
        Incident.objects.filter(resolved_at__isnull=False, assignment_group__isnull=False)
        .order_by("id")
        .values_list("id", "assignment_group_id", "created_at", "resolved_at")[:incidents]
    )
    entries = []
    for incident_id, group_id, created_at, resolved_at in rows:
        people = members.get(group_id)
        if not people or created_at is None or resolved_at is None:
            continue
        span = max((resolved_at - created_at).total_seconds(), 60)
        for _ in range(rng.randint(1, 3)):
            entries.append(
                TimeEntry(
                    incident_id=incident_id,
                    user_id=rng.choice(people),
                    group_id=group_id,
                    minutes=rng.choice([5, 10, 15, 20, 30, 45, 60, 90]),
                    note=rng.choice(NOTES),
                    worked_at=created_at + timedelta(seconds=rng.uniform(0, span)),
                )
            )
    TimeEntry.objects.bulk_create(entries, batch_size=1000)
    _split_demo()
    _merge_demo()
    return len(entries)


def _split_demo() -> None:
    """A caller's comment that raised a second problem, split off into its own incident by the agent."""
    agent = get_user_model().objects.filter(username="agent").first()
    incident = (
        Incident.objects.filter(
            assignment_group__slug="service-desk", status__in=[Status.NEW, Status.ASSIGNED]
        )
        .exclude(caller=agent)
        .order_by("-created_at")
        .first()
    )
    if agent is None or incident is None:
        return
    comment = incident_services.incident_comment(
        actor=incident.caller,
        incident=incident,
        body="While you are on it: the docking station on my desk no longer charges the laptop.",
        public=True,
    )
    incident_services.incident_split(actor=agent, incident=incident, event_id=comment.pk)
    # History: its mails are not sent when the demo starts.
    IncidentEvent.objects.filter(notified_at__isnull=True, created_at__gte=comment.created_at).update(
        notified_at=timezone.now()
    )


def _merge_demo() -> None:
    """A second report of the same problem by its caller, logged by phone, merged into the first."""
    agent = get_user_model().objects.filter(username="agent").first()
    kept = (
        Incident.objects.filter(
            assignment_group__slug="service-desk",
            status__in=[Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS],
            relations_from__isnull=True,
            relations_to__isnull=True,
        )
        .exclude(caller=agent)
        .order_by("-created_at")
        .first()
    )
    if agent is None or kept is None:
        return
    duplicate = incident_services.incident_create(
        actor=agent,
        title=kept.title,
        caller=kept.caller,
        description="Called again about the same problem.",
        assignment_group=kept.assignment_group,
    )
    incident_services.incident_merge(actor=agent, incident=duplicate, expected_version=None, into=kept)
    # History: its mails are not sent when the demo starts.
    IncidentEvent.objects.filter(notified_at__isnull=True, created_at__gte=duplicate.created_at).update(
        notified_at=timezone.now()
    )
