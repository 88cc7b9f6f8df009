"""Demo data of issue 13, loaded by ``demo.seed.load_demo``: a past major incident with
children, status updates and its review; an open major incident whose banner shows on the home
page; a couple of security incidents, one part-way through its procedure.

Written through the services with explicit times, like the rest of the demo; deterministic and cheap.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from escalation.choices import Level, Role
from escalation.defaults import SECURITY_GROUP_SLUG
from escalation.models import Membership, SupportGroup
from incidents import services
from incidents.models import SECURITY_CATEGORY_SLUG, Category, Channel, Incident, IncidentEvent, Service
from incidents.sla.sweep import incident_sla_check

SECURITY_USER = ("secops", "Selma", "Kaya")


def _service(name: str) -> Service:
    found = Service.objects.filter(name=name).first()
    return found or Service.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def _security_member(password: str) -> Any:
    username, first, last = SECURITY_USER
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
    )
    if created:
        user.password = make_password(password)
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, group=SupportGroup.objects.get(slug=SECURITY_GROUP_SLUG))
    user.groups.add(Group.objects.get_or_create(name=Role.HARDWARE_SOFTWARE)[0])
    return user


def _settle(inc: Incident, *, until: datetime) -> None:
    """The sweeps an open incident met up to ``until``, so that the first real sweep has nothing to do."""
    since = inc.created_at
    for _ in range(50):
        locked = Incident.objects.select_for_update().select_related("assignment_group").get(pk=inc.pk)
        due = locked.sla_next_check_at
        if due is None or due > until:
            return
        incident_sla_check(locked, now=max(due, since))
        since = max(due, since)


def _incident(actor: Any, caller: Any, title: str, at: datetime, **kwargs: Any) -> Incident:
    return services.incident_create(
        actor=actor,
        caller=caller,
        title=title,
        now=at,
        channel=kwargs.pop("channel", Channel.PHONE),
        **kwargs,
    )


def load_major_and_security_demo(
    users: dict[str, Any], *, password: str, now: datetime | None = None
) -> list[int]:
    """Returns the ids of the incidents it wrote (their events are history: the caller marks them sent)."""
    now = now or timezone.now()
    im, agent, alice, bob = users["incidentmgr"], users["agent"], users["alice"], users["bob"]
    high = {"impact": Level.HIGH, "urgency": Level.HIGH}
    made: list[int] = []

    # A past major incident: declared, children linked, updates, resolved, reviewed, closed.
    t = (now - timedelta(days=21)).replace(hour=9, minute=5, second=0, microsecond=0)
    erp = _service("ERP")
    past = _incident(agent, bob, "ERP unavailable for all users", t, service=erp, **high)
    services.major_declare(
        actor=im, incident=past, reason="Finance cannot post invoices.", now=t + timedelta(minutes=8)
    )
    children = [
        _incident(agent, caller, title, t + timedelta(minutes=m), service=erp)
        for caller, title, m in (
            (alice, "ERP login hangs", 15),
            (users.get("agent2", agent), "ERP times out", 22),
        )
    ]
    for child in children:
        services.major_link_child(actor=im, incident=past, child=child, now=t + timedelta(minutes=25))
    for minutes, body in (
        (30, "The ERP database is not accepting connections. The database team is on it."),
        (75, "Failover to the standby database is under way; next update in 30 minutes."),
        (110, "ERP is back on the standby database. Please retry; tell us if it still fails."),
    ):
        services.major_update_post(actor=im, incident=past, body=body, now=t + timedelta(minutes=minutes))
    services.incident_resolve(
        actor=im,
        incident=past,
        expected_version=None,
        resolution_code="workaround",
        resolution_notes="Failed over to the standby database; the primary is being rebuilt.",
        now=t + timedelta(minutes=115),
    )
    services.review_record(
        actor=im,
        incident=past,
        summary="ERP was down for 1 h 50 min for every user: the primary database ran out of disk.",
        root_cause="Transaction logs filled the disk; the disk alert had been muted during a change.",
        problem_reference="PRB0007",
        timeline=(
            "09:05 first calls\n09:13 declared major\n09:35 database team engaged\n"
            "10:20 failover started\n10:55 ERP back on the standby\n11:00 resolved"
        ),
        actions=[
            services.ActionItem(
                "Alert on database disk above 80 %, never muted", users.get("dba", im), date(2026, 12, 18)
            ),
            services.ActionItem("Rehearse the failover every quarter", im, date(2027, 1, 29)),
        ],
        now=t + timedelta(days=2),
    )
    services.incident_close(
        actor=im, incident=past, expected_version=None, now=t + timedelta(days=2, hours=1)
    )
    made += [past.pk, *(c.pk for c in children)]

    # An open major incident with a banner: the VPN is down now.
    t = now - timedelta(minutes=50)
    vpn = _service("VPN")
    live = _incident(agent, bob, "VPN gateway down: nobody can connect from home", t, service=vpn, **high)
    services.major_declare(
        actor=im, incident=live, reason="Every remote worker is cut off.", now=t + timedelta(minutes=4)
    )
    child = _incident(agent, alice, "Cannot connect to VPN from home", t + timedelta(minutes=9), service=vpn)
    services.major_link_child(actor=im, incident=live, child=child, now=t + timedelta(minutes=12))
    # reported after the declaration and not linked yet: proposed on the log
    _incident(
        agent,
        users.get("agent3", agent),
        "VPN client says gateway unreachable",
        t + timedelta(minutes=30),
        service=vpn,
    )
    services.major_update_post(
        actor=im,
        incident=live,
        body="The VPN gateway is down. Engineers are on site.",
        now=t + timedelta(minutes=15),
    )
    services.major_update_post(
        actor=im,
        incident=live,
        body="A replacement power supply is being fitted; expected back within the hour.",
        now=t + timedelta(minutes=40),
    )
    made += list(Incident.objects.filter(service=vpn, created_at__gte=t).values_list("pk", flat=True))

    # Security incidents: routed to the security group by their category.
    secops = _security_member(password)
    category = Category.objects.get(slug=SECURITY_CATEGORY_SLUG, parent__isnull=True)
    t = now - timedelta(hours=3)
    phishing = _incident(
        alice,
        alice,
        "I clicked a link in a mail from 'IT support'",
        t,
        category=category,
        channel=Channel.PORTAL,
    )
    for minutes, step, note in (
        (20, "contain", "Account password reset, sessions revoked."),
        (45, "preserve_evidence", "Mail and proxy logs exported to the evidence share."),
    ):
        services.security_step_complete(
            actor=secops, incident=phishing, step=step, note=note, now=t + timedelta(minutes=minutes)
        )
    laptop = _incident(
        im, bob, "Laptop with customer data lost on a train", t + timedelta(minutes=90), category=category
    )
    made += [phishing.pk, laptop.pk]
    for pk in made:
        inc = Incident.objects.get(pk=pk)
        if inc.is_open:
            _settle(inc, until=now)
    IncidentEvent.objects.filter(incident_id__in=made, notified_at__isnull=True).update(notified_at=now)
    return made
