"""Demo data (SPEC §12): the named users, a catalogue, the register, and months of history.

History is written through the services with explicit ``now`` values, so the activity log,
hand-offs and SLA clocks are exactly what real use would have produced. SLA thresholds fire
at the times they fell due (before each step of an incident's story, and for the incidents
still open, up to the present), never at the seed's time. It is deterministic (a seeded random
generator), so two machines show the same demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core import queueing
from demo import learning as learning_demo
from demo import reporting as reporting_demo
from demo import sla as sla_demo
from demo.content import load_content_demo
from demo.identity import load_identity_demo
from demo.intake import load_mail_demo
from demo.knowledge import load_knowledge_demo
from demo.languages import load_languages_demo
from demo.live import load_saved_views_demo
from demo.major import load_major_and_security_demo
from demo.meetings import load_meetings_demo
from demo.portal import load_portal_demo
from demo.previews import load_previews_demo
from demo.surveys import load_surveys_demo
from demo.toolkit import load_toolkit_demo
from demo.worktime import load_time_demo
from escalation import policies
from escalation.choices import Role
from escalation.models import ContactPerson, EscalationPoint, Membership, SupportGroup
from incidents import services
from incidents.models import Category, Channel, HoldReason, Incident, IncidentEvent, ResolutionCode, Service
from incidents.sla.sweep import incident_sla_check, sla_fire_due

User = get_user_model()
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented demo login, never for production

# username, first, last, support groups, roles, flags
DEMO_USERS: list[tuple[str, str, str, list[str], list[str], dict[str, bool]]] = [
    ("agent", "Amira", "Haddad", ["service-desk"], [Role.AGENT], {}),
    ("tech", "Tomasz", "Nowak", ["technical-support"], [Role.TECHNICAL], {}),
    ("netops", "Nia", "Okafor", ["network"], [Role.HARDWARE_SOFTWARE], {}),
    ("dba", "Dmitri", "Belov", ["database"], [Role.HARDWARE_SOFTWARE], {}),
    ("incidentmgr", "Ingrid", "Larsen", [], [Role.INCIDENT_MANAGER], {"is_staff": True}),
    ("manager", "Marcus", "Reid", [], [Role.MANAGER], {}),
    ("admin", "Ada", "Mensah", [], [Role.ADMINISTRATOR], {"is_staff": True, "is_superuser": True}),
    ("alice", "Alice", "Martin", [], [], {}),
    ("bob", "Bob", "Fischer", [], [], {}),
]
# More staff so that queues, tiers and reports have several people in them.
EXTRA_STAFF: list[tuple[str, str, str, str, str]] = [
    ("agent2", "Sofia", "Rossi", "service-desk", Role.AGENT),
    ("agent3", "Kwame", "Asante", "service-desk", Role.AGENT),
    ("tech2", "Lena", "Vogel", "technical-support", Role.TECHNICAL),
    ("voiceops", "Ravi", "Patel", "voice", Role.HARDWARE_SOFTWARE),
    ("serverops", "Hana", "Sato", "server", Role.HARDWARE_SOFTWARE),
    ("desktopops", "Owen", "Price", "desktop", Role.HARDWARE_SOFTWARE),
    ("envops", "Marta", "Silva", "environment", Role.HARDWARE_SOFTWARE),
    ("accessops", "Yusuf", "Demir", "access", Role.CONSULTED),
    ("changeops", "Claire", "Dubois", "change-management", Role.CONSULTED),
]
CALLER_NAMES = [
    ("Emma", "Brown"),
    ("Noah", "Wilson"),
    ("Olivia", "Taylor"),
    ("Liam", "Davies"),
    ("Ava", "Evans"),
    ("Lucas", "Thomas"),
    ("Mia", "Johnson"),
    ("Ethan", "Roberts"),
    ("Chloe", "Walker"),
    ("Jacob", "Wright"),
    ("Grace", "Hughes"),
    ("Daniel", "Green"),
    ("Ella", "Hall"),
    ("Samuel", "Lewis"),
    ("Zoe", "Clarke"),
    ("Adam", "Jackson"),
    ("Ruby", "Wood"),
    ("Isaac", "Turner"),
    ("Lily", "Hill"),
    ("Harry", "Moore"),
]

CATALOGUE: dict[str, list[str]] = {
    "Hardware": ["Laptop", "Desktop", "Printer", "Monitor", "Docking station"],
    "Software": ["Email client", "Office suite", "ERP client", "Browser"],
    "Network": ["VPN", "Wi-Fi", "LAN", "DNS"],
    "Access": ["Password reset", "Account locked", "Permissions"],
    "Database": ["Performance", "Connectivity", "Data correction"],
    "Telephony": ["Desk phone", "Mobile phone", "Voicemail"],
}
SERVICES = [
    "Email",
    "ERP",
    "Intranet",
    "VPN",
    "Telephony",
    "File shares",
    "HR portal",
    "Payroll",
    "CRM",
    "Wi-Fi",
]
# Which tier-3 group fixes what, by category.
TIER3_FOR = {
    "Hardware": "desktop",
    "Software": "server",
    "Network": "network",
    "Access": "server",
    "Database": "database",
    "Telephony": "voice",
}
TITLES: dict[str, list[str]] = {
    "Laptop": ["Laptop does not boot", "Laptop battery drains in an hour", "Laptop keyboard keys stuck"],
    "Desktop": ["PC very slow since update", "Blue screen at start-up"],
    "Printer": ["Printer on floor 3 does not print", "Print jobs stuck in queue", "Printer shows paper jam"],
    "Monitor": ["Second monitor not detected", "Screen flickers"],
    "Docking station": ["Dock does not charge laptop", "No network through the dock"],
    "Email client": ["Cannot send email", "Mailbox full", "Shared mailbox missing"],
    "Office suite": ["Spreadsheet crashes on open", "Document will not save"],
    "ERP client": ["ERP login fails", "ERP report times out", "Invoice screen is blank"],
    "Browser": ["Intranet page does not load", "Certificate warning on HR portal"],
    "VPN": ["VPN disconnects every few minutes", "Cannot connect to VPN from home"],
    "Wi-Fi": ["No Wi-Fi in meeting room B", "Wi-Fi very slow on floor 2"],
    "LAN": ["Network port dead at desk 4.12", "No network after desk move"],
    "DNS": ["Internal sites not resolving", "File share name not found"],
    "Password reset": ["Forgot password", "Password expired while abroad"],
    "Account locked": ["Account locked after failed logins", "Locked out of ERP"],
    "Permissions": ["Need access to finance share", "Cannot open project folder"],
    "Performance": ["CRM searches very slow", "Month-end batch runs for hours"],
    "Connectivity": ["Application cannot reach database", "Reporting tool connection refused"],
    "Data correction": ["Wrong address on customer record", "Duplicate invoice lines"],
    "Desk phone": ["Desk phone has no dial tone", "Cannot transfer calls"],
    "Mobile phone": ["Work mobile not receiving email", "Mobile phone screen broken"],
    "Voicemail": ["Voicemail PIN not accepted", "Voicemail greeting lost"],
}
FIXES = [
    "Restarted the service and confirmed with the caller.",
    "Replaced the faulty part; tested with the caller.",
    "Reset the configuration to the standard build.",
    "Applied the documented workaround from the knowledge base.",
    "Corrected the permissions and asked the caller to sign in again.",
    "Cleared the cache and re-synchronised the profile.",
]


@dataclass
class Cast:
    staff: dict[str, list[Any]]  # group slug -> members
    callers: list[Any]
    by_name: dict[str, Any]


def demo_is_loaded() -> bool:
    return User.objects.filter(username="agent").exists() and Incident.objects.exists()


_password_hash: list[str] = []


def _user(username: str, first: str, last: str, **flags: Any) -> Any:
    if not _password_hash:  # hashing is slow by design: do it once for every demo user
        _password_hash.append(make_password(DEMO_PASSWORD))
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.org",
            "password": _password_hash[0],
            **flags,
        },
    )
    return user


def _join(user: Any, slugs: list[str], roles: list[str]) -> None:
    for slug in slugs:
        Membership.objects.get_or_create(user=user, group=SupportGroup.objects.get(slug=slug))
    for role in roles:
        user.groups.add(Group.objects.get(name=role))


def load_people() -> Cast:
    by_name: dict[str, Any] = {}
    for username, first, last, slugs, roles, flags in DEMO_USERS:
        by_name[username] = _user(username, first, last, **flags)
        _join(by_name[username], slugs, roles)
    for username, first, last, slug, role in EXTRA_STAFF:
        by_name[username] = _user(username, first, last)
        _join(by_name[username], [slug], [role])
    callers = [by_name["alice"], by_name["bob"]]
    for first, last in CALLER_NAMES:
        callers.append(_user(f"{first}.{last}".lower(), first, last))
    staff: dict[str, list[Any]] = {}
    for m in Membership.objects.select_related("user", "group"):
        staff.setdefault(m.group.slug, []).append(m.user)
    return Cast(staff=staff, callers=callers, by_name=by_name)


def load_catalogue() -> tuple[dict[str, Category], dict[str, Category], list[Service]]:
    tops: dict[str, Category] = {}
    subs: dict[str, Category] = {}
    for top, children in CATALOGUE.items():
        tops[top], _ = Category.objects.get_or_create(slug=_slug(top), parent=None, defaults={"name": top})
        for child in children:
            subs[child], _ = Category.objects.get_or_create(
                slug=_slug(child), parent=tops[top], defaults={"name": child}
            )
    service_rows = [Service.objects.get_or_create(slug=_slug(n), defaults={"name": n})[0] for n in SERVICES]
    return tops, subs, service_rows


def load_register(cast: Cast) -> None:
    """Contacts and named points of escalation on top of the role-based defaults."""
    for group in SupportGroup.objects.all():
        if not group.email:
            group.email = f"{group.slug}@example.org"
            group.phone = f"+44 20 7946 {1000 + group.pk:04d}"
            group.on_call_hours = "24×7 on-call rota" if group.tier == 3 else "Mon–Fri 08:00–18:00"
            group.save(update_fields=["email", "phone", "on_call_hours"])
        members = cast.staff.get(group.slug, [])
        if members and not ContactPerson.objects.filter(group=group).exists():
            lead = members[0]
            ContactPerson.objects.create(
                group=group,
                name=lead.get_full_name(),
                role="Team lead",
                email=lead.email,
                phone=group.phone,
                on_call_hours=group.on_call_hours,
            )
        if (
            group.tier
            and members
            and not EscalationPoint.objects.filter(group=group, user=members[0]).exists()
        ):
            EscalationPoint.objects.create(
                group=group, level=1, target="resolution", percent=75, user=members[0]
            )


def _slug(name: str) -> str:
    return slugify(name)


def _business_moment(rng: random.Random, day: datetime) -> datetime:
    local = timezone.localtime(day).replace(hour=8, minute=0, second=0, microsecond=0)
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local + timedelta(minutes=rng.randint(0, 9 * 60))


def load_history(cast: Cast, *, incidents: int, days: int, seed: int = 20261127) -> int:
    """``incidents`` incidents spread over the last ``days`` days, each on a realistic path."""
    rng = random.Random(seed)
    tops, subs, service_rows = load_catalogue()
    now = timezone.now()
    start = now - timedelta(days=days)
    moments = sorted(
        _business_moment(rng, start + timedelta(days=rng.uniform(0, days))) for _ in range(incidents)
    )
    made: list[int] = []
    for created in moments:
        if created >= now - timedelta(minutes=5):
            continue
        with transaction.atomic():
            made.append(_one_incident(rng, cast, tops, subs, service_rows, created=created, now=now))
    _mark_history_notified(made, now=now)
    return len(made)


def _mark_history_notified(incident_ids: list[int], *, now: datetime) -> None:
    """History's notifications belong to the past: mark the demo's own events as delivered.

    Only the events of the incidents the demo wrote: real pending events stay in the outbox.
    """
    for i in range(0, len(incident_ids), 500):
        IncidentEvent.objects.filter(
            incident_id__in=incident_ids[i : i + 500], notified_at__isnull=True
        ).update(notified_at=now)


_sla_cache: dict[Any, Any] = {}


def _fire_thresholds(inc: Incident, *, until: datetime) -> Incident:
    """Fire the thresholds that fell due before the next step of the story, each at its due time."""
    if inc.sla_next_check_at is None or inc.sla_next_check_at > until:
        return inc
    locked = Incident.objects.select_for_update().select_related("assignment_group").get(pk=inc.pk)
    sla_fire_due(locked, until=until, cache=_sla_cache)
    return locked


def _sweep_until(inc: Incident, *, since: datetime, until: datetime) -> None:
    """An incident still open when its story ends: the sweeps it met up to ``until``, each at the
    time it was due (no earlier than the story's last step), escalation rules included."""
    for _ in range(50):
        locked = Incident.objects.select_for_update().select_related("assignment_group").get(pk=inc.pk)
        due = locked.sla_next_check_at
        if due is None or due > until:
            return
        incident_sla_check(locked, now=max(due, since), cache=_sla_cache)
        since = max(due, since)


def _sweep_the_present(*, until: datetime) -> None:
    """The stories written at the present (the portal's, the major incident's, ...) go through the
    services but not through the sweep, as the history does: what fell due in them since they were
    written fires here, each check at its due time, so that the first sweep after start has nothing to
    catch up. Whether anything did depends on the hour: an incident reported half an hour before a
    load in working hours has passed its first warning; one reported before the desk opens has not.
    What fires is history too: its notifications are marked delivered."""
    due = list(Incident.objects.filter(sla_next_check_at__lte=until).values_list("pk", "created_at"))
    for pk, created in due:
        with transaction.atomic():
            _sweep_until(Incident(pk=pk), since=created, until=until)
    _mark_history_notified([pk for pk, _ in due], now=until)


def _pick_priority(rng: random.Random) -> tuple[int, int]:
    return rng.choices([1, 2, 3], weights=[1, 4, 6])[0], rng.choices([1, 2, 3], weights=[2, 5, 5])[0]


def _one_incident(rng, cast, tops, subs, service_rows, *, created: datetime, now: datetime) -> int:
    """Write one incident's story; return its id."""
    last = [created]  # the time of the story's last step
    inc = _story(rng, cast, tops, subs, service_rows, created=created, now=now, last=last)
    _sweep_until(inc, since=last[0], until=now)
    return inc.pk


def _story(rng, cast, tops, subs, service_rows, *, created: datetime, now: datetime, last: list[datetime]):
    top_name = rng.choice(list(CATALOGUE))
    sub_name = rng.choice(CATALOGUE[top_name])
    impact, urgency = learning_demo.impact_for(sub_name, _pick_priority(rng))
    channel = rng.choices(
        [Channel.PHONE, Channel.EMAIL, Channel.PORTAL, Channel.WALK_IN, Channel.MONITORING],
        weights=[40, 25, 25, 5, 5],
    )[0]
    caller = rng.choice(cast.callers)
    desk = cast.staff["service-desk"]
    agent = rng.choice(desk)
    reporter = caller if channel == Channel.PORTAL else agent
    clock = [created]

    def later(lo: int, hi: int) -> datetime:
        clock[0] = clock[0] + timedelta(minutes=rng.randint(lo, hi))
        return clock[0]

    inc = services.incident_create(
        actor=reporter,
        caller=caller,
        title=rng.choice(TITLES[sub_name]),
        description=f"Reported by {caller.get_full_name()} via {channel.label.lower()}.\n\n"
        "Steps tried: restarted the device; problem persists.",
        channel=channel,
        impact=impact,
        urgency=urgency,
        category=tops[top_name],
        subcategory=subs[sub_name],
        service=learning_demo.service_for(sub_name, rng.choice(service_rows), service_rows),
        now=created,
    )
    age_days = (now - created).total_seconds() / 86400
    # Recent incidents are still being worked; older ones have run their course.
    open_until = {0: 0.8, 1: 0.5, 2: 0.35, 3: 0.25, 5: 0.12, 8: 0.05}
    stays_open = rng.random() < next(
        (p for d, p in sorted(open_until.items(), reverse=True) if age_days >= d), 0
    )
    if age_days > 14:
        stays_open = False

    def step(fn, **kw):
        nonlocal inc
        moment = later(*kw.pop("after", (3, 40)))
        if moment >= now:
            raise _Stop
        inc = _fire_thresholds(inc, until=moment)
        last[0] = moment
        result = fn(incident=inc, expected_version=inc.version, now=moment, **kw)
        if isinstance(result, Incident):
            inc = result
        else:
            inc.refresh_from_db()
        return result

    try:
        if rng.random() < 0.03:
            step(services.incident_cancel, actor=agent, reason="Logged twice by mistake.")
            return inc
        path = learning_demo.path_for(sub_name, rng.random())
        if path < 0.4:
            owner = agent
            step(services.incident_start, actor=agent, after=(1, 10))
        else:
            step(services.incident_start, actor=agent, after=(1, 10))
            step(
                services.incident_escalate,
                actor=agent,
                assignment_group=_group("technical-support"),
                reason="Needs hands-on diagnosis by technical support.",
                after=(5, 40),
            )
            owner = rng.choice(cast.staff["technical-support"])
            step(services.incident_start, actor=owner, after=(5, 120))
            if path > 0.7:
                slug = TIER3_FOR[top_name]
                step(
                    services.incident_escalate,
                    actor=owner,
                    assignment_group=_group(slug),
                    reason=f"Traced to a {slug} fault.",
                    after=(30, 240),
                )
                owner = rng.choice(cast.staff[slug])
                step(services.incident_start, actor=owner, after=(10, 180))
        if rng.random() < 0.2:
            step(_comment, actor=owner, body="Could you send a screenshot of the error?", public=True)
            step(services.incident_hold, actor=owner, reason=HoldReason.AWAITING_CALLER, after=(1, 5))
            step(
                _comment,
                actor=caller,
                body="Screenshot attached to my email, thanks.",
                public=True,
                after=(30, 1500),
            )
        if rng.random() < 0.08:
            accessops = cast.by_name["accessops"]
            step(
                services.incident_consult,
                actor=owner,
                group=_group("access"),
                question="Has this account got the right entitlements?",
            )
            consultation = inc.consultations.order_by("-id").first()
            moment = later(10, 120)
            if moment < now and consultation is not None:
                last[0] = moment
                services.consultation_answer(
                    actor=accessops, consultation=consultation, answer="Entitlements corrected.", now=moment
                )
                inc.refresh_from_db()
        if rng.random() < 0.3:
            step(_comment, actor=owner, body="Checked the logs; the fault is reproducible.", public=False)
        if stays_open:
            return inc
        step(
            services.incident_resolve,
            actor=owner,
            resolution_code=rng.choice(ResolutionCode.values),
            resolution_notes=rng.choice(FIXES),
            after=(10, 600 if inc.priority > 2 else 120),
        )
        if rng.random() < 0.06:
            step(
                services.incident_reopen,
                actor=caller,
                reason="It happened again this morning.",
                after=(60, 1200),
            )
            step(
                services.incident_resolve,
                actor=owner,
                resolution_code=ResolutionCode.PERMANENT_FIX,
                resolution_notes="Root cause fixed this time.",
                after=(30, 600),
            )
        if rng.random() < 0.5:
            step(services.incident_close, actor=caller, close_notes="Thanks, all good.", after=(30, 4000))
        else:
            moment = later(3 * 24 * 60 + 60, 5 * 24 * 60)
            if moment < now:
                inc = services.incident_close(actor=None, incident=inc, expected_version=None, now=moment)
    except _Stop:
        pass
    return inc


class _Stop(Exception):
    """The incident's story has reached the present."""


def _comment(*, actor, incident, expected_version, now, body, public):
    return services.incident_comment(actor=actor, incident=incident, body=body, public=public, now=now)


_groups: dict[str, SupportGroup] = {}


def _group(slug: str) -> SupportGroup:
    if slug not in _groups:
        _groups[slug] = SupportGroup.objects.get(slug=slug)
    return _groups[slug]


def load_demo(*, incidents: int = 1500, days: int = 182) -> dict[str, int]:
    """Load everything once. Returns counts; a second call loads nothing."""
    if demo_is_loaded():
        return {"incidents": 0}
    _groups.clear()
    _sla_cache.clear()
    with queueing.muted(), policies.config_cached(), transaction.atomic():
        cast = load_people()
        load_register(cast)
        sla_demo.load(cast.by_name, cast.callers)
        made = load_history(cast, incidents=incidents, days=days)
        made += load_portal_demo()
        load_mail_demo()
        load_major_and_security_demo(cast.by_name, password=DEMO_PASSWORD)
        load_knowledge_demo()
        load_content_demo()
        load_surveys_demo()
        load_identity_demo()
        load_toolkit_demo()
        load_time_demo()
        load_languages_demo(password=DEMO_PASSWORD)
        load_saved_views_demo()
        load_previews_demo()
        _sweep_the_present(until=timezone.now())
    reporting_demo.load_demo()
    load_meetings_demo()
    learning_demo.load_learning_demo(cast.by_name)
    return {"incidents": made}
