"""Demo toolkit (issue 23): shared, group and personal response templates, the incident manager's
macros, and a macro already applied to a demo incident so that its audit shows on the page."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from escalation.access import access_for
from escalation.models import SupportGroup
from incidents import permissions
from incidents.models import Category, HoldReason, Incident, IncidentEvent, ResolutionCode, Status
from toolkit import services
from toolkit.models import AssignmentMode, MacroStatus, WorkingHours

RESPONSES = [
    # (title, body, share: "everyone" | group slug | username)
    (
        "Greeting and reference",
        "Hello {caller_name},\n\nthank you for your report. We are working on {incident_number} and "
        "expect to resolve it by {due_time}.\n\nKind regards,\n{agent_name}",
        "everyone",
    ),
    (
        "Password reset done",
        "Hello {caller_name},\n\nyour password has been reset. You will be asked to choose a new one "
        "at your next sign-in.\n\n{agent_name}",
        "service-desk",
    ),
    (
        "Please restart and tell us",
        "Hello {caller_name},\n\nplease restart your device and reply to {incident_number} to tell us "
        "whether the problem persists.",
        "service-desk",
    ),
    (
        "VPN how-to",
        "Hello {caller_name},\n\nthe steps to connect to the VPN from home are in {article:KB0000001}.",
        "agent",
    ),
    (
        "Bitte neu starten",
        "Hallo {caller_name},\n\nbitte starten Sie das Gerät neu und antworten Sie auf {incident_number}.",
        "service-desk",
    ),
]


def load_toolkit_demo() -> None:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["agent", "incidentmgr"])}
    im, agent = users["incidentmgr"], users["agent"]
    groups = {g.slug: g for g in SupportGroup.objects.all()}
    for title, body, share in RESPONSES:
        if share == "everyone":
            services.response_template_save(actor=im, title=title, body=body, personal=False)
        elif share in groups:
            services.response_template_save(
                actor=im, title=title, body=body, personal=False, group=groups[share], language=_lang(title)
            )
        else:
            services.response_template_save(actor=agent, title=title, body=body, personal=True)

    load_routing_demo(im, groups)
    load_tags_demo(im)
    network = Category.objects.filter(parent__isnull=True, slug="network").first()
    reset = services.macro_save(
        actor=im,
        name="Password reset: resolve",
        description="Reply to the caller and resolve as user guidance.",
        group=groups["service-desk"],
        set_status=MacroStatus.RESOLVED,
        resolution_code=ResolutionCode.USER_GUIDANCE,
        public_reply="Hello {caller_name},\n\nyour password has been reset; you choose a new one at your "
        "next sign-in. We resolve {incident_number} now: reply if anything is still wrong.",
    )
    services.macro_save(
        actor=im,
        name="Waiting for the caller",
        description="Ask the caller to try again and pause the clock.",
        set_status=MacroStatus.ON_HOLD,
        hold_reason=HoldReason.AWAITING_CALLER,
        public_reply="Hello {caller_name},\n\nplease restart your device and reply to {incident_number} "
        "to tell us whether the problem persists.",
        internal_note="Asked the caller to restart; on hold until they answer.",
    )
    services.macro_save(
        actor=im,
        name="Hand to the network team",
        description="Network category, high urgency, to the network team with a note.",
        assignment_group=groups["network"],
        category=network,
        impact=2,
        urgency=1,
        internal_note="Routed by the service desk: please check the switch and the Wi-Fi controller logs.",
    )
    open_desk = (
        # one of the demo's own (an incident logged a moment ago may be someone's real one)
        Incident.objects.filter(
            assignment_group=groups["service-desk"],
            status=Status.NEW,
            created_at__lt=timezone.now() - timedelta(hours=1),
        )
        .order_by("-created_at")
        .first()
    )
    if open_desk is not None:
        services.macro_apply(actor=agent, macro=reset, incident=open_desk, expected_version=None)
        # History: its mails are not sent when the demo starts.
        IncidentEvent.objects.filter(incident=open_desk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )


def load_routing_demo(im: Any, groups: dict[str, SupportGroup]) -> None:
    """Two routing rules, the voice team assigning by round robin in its working hours, and an absence."""
    services.routing_rule_save(
        actor=im,
        name="VPN and Wi-Fi to the network team",
        position=10,
        keywords="vpn, wi-fi, wifi",
        group=groups["network"],
    )
    services.routing_rule_save(
        actor=im,
        name="Database errors to the database team",
        position=20,
        keywords="sql, deadlock, ora-",
        group=groups["database"],
    )
    services.group_assignment_set(actor=im, group=groups["voice"], mode=AssignmentMode.ROUND_ROBIN)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["voiceops", "tech2"])}
    if "voiceops" in users:
        WorkingHours.objects.bulk_create(
            WorkingHours(user=users["voiceops"], weekday=day, starts=time(8), ends=time(17))
            for day in range(5)
        )
    if "tech2" in users:
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        services.absence_add(
            actor=im,
            user=users["tech2"],
            starts_at=today,
            ends_at=today + timedelta(days=5),
            note="Annual leave",
        )


def _lang(title: str) -> str:
    return "de" if title.startswith("Bitte") else ""


# Tags (issue 23 §5): the demo's incidents whose title names a common theme carry its tag.
DEMO_TAGS = {"printer": "printer", "vpn": "vpn", "password": "password", "wi-fi": "wifi", "outlook": "email"}


def load_tags_demo(actor: Any) -> None:
    access = access_for(actor)
    # the newest, and the newest of the months before this one (whose report shows its top tags)
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for word, tag in DEMO_TAGS.items():
        matching = Incident.objects.filter(title__icontains=word).order_by("-created_at")
        for incident in [*matching[:6], *matching.filter(created_at__lt=month_start)[:6]]:
            if permissions.can(access, incident, "comment"):
                services.tag_add(actor=actor, access=access, incident=incident, name=tag)
    # History: the tags' timeline entries are not news when the demo starts.
    IncidentEvent.objects.filter(changes__has_key="tags", notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
