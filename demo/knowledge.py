"""Demo knowledge: 44 articles across the demo categories (some public, several versions, links to
demo incidents, a few past their review date), the generated process quiz and a random one, and
quiz attempts by the demo staff. Written in bulk: it runs on every fresh ``make run``."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.utils import timezone

from escalation.models import Membership
from incidents.models import Category, Counter, Incident, IncidentEvent, Service
from knowledge.generated import generated_quiz_ensure
from knowledge.models import (
    Article,
    ArticleLink,
    ArticleVersion,
    Choice,
    Question,
    Quiz,
    SelfSolvedReport,
    Status,
    Topic,
    Visibility,
)
from knowledge.services.articles import COUNTER
from knowledge.services.quizzes import attempt_start, attempt_submit

# (subcategory, title, symptoms, cause, workaround, resolution, public)
ARTICLES: list[tuple[str, str, str, str, str, str, bool]] = [
    (
        "Laptop",
        "Laptop does not boot after an update",
        "Black screen after the logo; the power light is on; the laptop does not boot",
        "A firmware update was interrupted.",
        "Hold the power button 15 s, then start with the charger connected.",
        "Reinstall the firmware from the recovery menu (F11) and restart twice.",
        True,
    ),
    (
        "Laptop",
        "Laptop battery drains in an hour",
        "Battery empty within an hour; laptop hot; fan loud",
        "A runaway background process or an aged battery.",
        "Work plugged in.",
        "Check the battery report "
        "(`powercfg /batteryreport`); replace the battery below 60% design capacity.",
        True,
    ),
    (
        "Laptop",
        "Laptop keyboard keys stuck or repeating",
        "Keys stick, repeat or do not type",
        "Debris or a failing keyboard ribbon.",
        "Use an external keyboard.",
        "Clean with compressed air; book a keyboard swap with Desktop if it persists.",
        False,
    ),
    (
        "Desktop",
        "PC very slow since the monthly update",
        "Computer slow, applications take minutes to open after the update",
        "The update is still indexing or a driver is missing.",
        "Leave the PC on over lunch.",
        "Run the pending updates, reboot, and reinstall the chipset driver from the software centre.",
        True,
    ),
    (
        "Desktop",
        "Blue screen at start-up",
        "Blue screen (BSOD) with a stop code when the PC starts",
        "A faulty driver or memory.",
        "Start in safe mode to save work.",
        "Roll back the last driver; run the memory test; Desktop replaces the RAM if it fails.",
        False,
    ),
    (
        "Printer",
        "Printer shows a paper jam but there is no paper",
        "Printer says paper jam; no paper visible; jobs stay in the queue",
        "A scrap of paper behind the rear door or a dirty sensor.",
        "Print to the next printer on the floor.",
        "Open the rear door and the duplex unit, remove scraps, clean the sensor.",
        True,
    ),
    (
        "Printer",
        "Print jobs stuck in the queue",
        "Documents wait in the print queue and never print",
        "The print spooler hung.",
        "Print to PDF and send it to a colleague.",
        "Restart the print spooler on the print server; clear the stuck jobs.",
        True,
    ),
    (
        "Printer",
        "Printer on floor 3 does not print",
        "Nothing prints on floor 3; printer offline",
        "The printer lost its IP reservation.",
        "Use the floor 2 printer.",
        "Re-create the DHCP reservation and power-cycle the printer.",
        False,
    ),
    (
        "Monitor",
        "Second monitor not detected",
        "The second screen stays black; display not detected",
        "Loose cable or the dock needs a firmware update.",
        "Use the laptop screen.",
        "Reseat the cable, update the dock firmware, press Win+P and choose Extend.",
        True,
    ),
    (
        "Monitor",
        "Screen flickers",
        "Screen flickers or flashes; lines on the display",
        "Refresh rate or cable.",
        "Lower the refresh rate to 60 Hz.",
        "Replace the display cable; if it continues, swap the monitor.",
        True,
    ),
    (
        "Docking station",
        "Dock does not charge the laptop",
        "Laptop not charging on the dock; battery icon shows plugged in, not charging",
        "Underpowered dock power supply.",
        "Use the laptop's own charger.",
        "Replace the dock power supply with the 130 W model.",
        False,
    ),
    (
        "Docking station",
        "No network through the dock",
        "No network or internet when the laptop is docked",
        "The dock's network adapter driver is missing.",
        "Use Wi-Fi.",
        "Install the dock driver package and update the dock firmware.",
        True,
    ),
    (
        "Email client",
        "Cannot send email: stuck in the outbox",
        "Emails stay in the outbox; cannot send email",
        "An attachment over the size limit or an offline profile.",
        "Use webmail.",
        "Remove the large attachment (limit 25 MB) or rebuild the mail profile.",
        True,
    ),
    (
        "Email client",
        "Mailbox full warning",
        "Mailbox full; cannot receive email; quota warning",
        "The mailbox reached its quota.",
        "Empty Deleted Items.",
        "Turn on the online archive; Access can raise the quota with a manager's approval.",
        True,
    ),
    (
        "Email client",
        "Shared mailbox missing from the mail client",
        "Shared mailbox disappeared from the folder list",
        "Auto-mapping was removed when permissions changed.",
        "Open it in webmail.",
        "Re-grant full access with auto-mapping; restart the mail client.",
        False,
    ),
    (
        "Office suite",
        "Spreadsheet crashes on open",
        "Spreadsheet application crashes when opening a file",
        "A broken add-in.",
        "Open in safe mode (hold Ctrl).",
        "Disable the add-in, repair the office suite.",
        True,
    ),
    (
        "Office suite",
        "Document will not save to the file share",
        "Cannot save document; access denied or file locked",
        "The file is locked by another user or the share is read-only.",
        "Save locally and copy later.",
        "Close the other session holding the lock; check the share permissions.",
        True,
    ),
    (
        "ERP client",
        "ERP login fails with an invalid session",
        "ERP login fails: invalid session or credentials rejected",
        "A stale single sign-on token.",
        "Sign out of all sessions and sign in again.",
        "Clear the ERP client cache and the SSO token; Server restarts the session broker "
        "if many users fail.",
        False,
    ),
    (
        "ERP client",
        "ERP report times out",
        "ERP report runs and times out after five minutes",
        "Missing index on the reporting database after the upgrade.",
        "Run the report for a shorter period.",
        "Database rebuilds the reporting indexes.",
        False,
    ),
    (
        "ERP client",
        "Invoice screen is blank in the ERP",
        "Invoice screen blank; no fields shown",
        "A browser component of the ERP client is out of date.",
        "Use the ERP web client.",
        "Update the ERP client to the current release.",
        False,
    ),
    (
        "Browser",
        "Intranet page does not load",
        "Intranet page does not load; spinning; timeout",
        "The proxy auto-configuration is out of date.",
        "Use the direct intranet address.",
        "Reset the proxy settings and clear the browser cache.",
        True,
    ),
    (
        "Browser",
        "Certificate warning on the HR portal",
        "Browser shows a certificate warning on the HR portal",
        "The device clock is wrong or the intermediate certificate is missing.",
        "Do not continue past the warning.",
        "Correct the clock; install the current root certificates from the software centre.",
        True,
    ),
    (
        "VPN",
        "VPN disconnects every few minutes",
        "VPN drops every few minutes; reconnects; calls cut",
        "Power saving on the Wi-Fi adapter or an old VPN client.",
        "Use a wired connection.",
        "Update the VPN client and disable Wi-Fi power saving.",
        True,
    ),
    (
        "VPN",
        "Cannot connect to VPN from home",
        "VPN will not connect from home; authentication failed",
        "Expired password or the MFA token is out of sync.",
        "Work from webmail and the web apps.",
        "Reset the password in the portal and re-register the MFA app.",
        True,
    ),
    (
        "Wi-Fi",
        "No Wi-Fi in a meeting room",
        "No Wi-Fi signal in meeting room B; cannot connect",
        "An access point is down.",
        "Use the guest network.",
        "Network restarts or replaces the access point.",
        True,
    ),
    (
        "Wi-Fi",
        "Wi-Fi very slow on one floor",
        "Wi-Fi slow, pages load slowly on floor 2",
        "Channel congestion.",
        "Connect by cable.",
        "Network re-plans the channels on the floor.",
        True,
    ),
    (
        "LAN",
        "Network port dead at a desk",
        "No network at the desk; port light off",
        "Unpatched port after a desk move.",
        "Use Wi-Fi.",
        "Network patches the port in the floor cabinet.",
        False,
    ),
    (
        "LAN",
        "No network after a desk move",
        "No network after moving desks; limited connectivity",
        "The new port is on the wrong VLAN.",
        "Use Wi-Fi.",
        "Network moves the port to the user VLAN.",
        False,
    ),
    (
        "DNS",
        "Internal sites not resolving",
        "Internal sites not found; server name could not be resolved",
        "The DNS suffix list is missing.",
        "Use the full name (host.corp.example.org).",
        "Renew the DHCP lease (`ipconfig /renew`) to get the suffix list.",
        True,
    ),
    (
        "DNS",
        "File share name not found",
        "File share not found by name but works by IP address",
        "A stale DNS record.",
        "Use the IP address.",
        "Network removes the stale record; flush DNS on the PC.",
        False,
    ),
    (
        "Password reset",
        "Forgot my password",
        "Forgot password; cannot sign in",
        "—",
        "—",
        "Reset it in the "
        "self-service portal with your MFA app; the service desk can reset it after checking your identity.",
        True,
    ),
    (
        "Password reset",
        "Password expired while abroad",
        "Password expired while travelling; cannot sign in to VPN",
        "Passwords expire every 90 days.",
        "Use webmail to change it.",
        "Change the password in webmail, then reconnect the VPN with the new password.",
        True,
    ),
    (
        "Account locked",
        "Account locked after failed logins",
        "Account locked out after several failed sign-ins",
        "An old password saved on a phone keeps trying.",
        "Wait 15 minutes.",
        "Unlock the account; update the password on every device (phone mail first).",
        True,
    ),
    (
        "Account locked",
        "Locked out of the ERP",
        "ERP account locked; too many attempts",
        "ERP lockout policy.",
        "—",
        "The service desk unlocks the ERP account in the user administration screen.",
        False,
    ),
    (
        "Permissions",
        "Need access to a shared folder",
        "Access denied to the finance share; need access",
        "Access is granted per group with the owner's approval.",
        "Ask a colleague to share the file.",
        "Request access in the portal; the folder owner approves; Access adds the group.",
        True,
    ),
    (
        "Permissions",
        "Cannot open a project folder",
        "Project folder access denied after a team change",
        "Group membership removed by the team change.",
        "—",
        "Ask the project owner to re-approve the group membership.",
        False,
    ),
    (
        "Performance",
        "CRM searches very slow",
        "CRM search slow; takes a minute",
        "Statistics out of date after the nightly load.",
        "Search by customer number.",
        "Database refreshes the statistics and adds the missing index.",
        False,
    ),
    (
        "Performance",
        "Month-end batch runs for hours",
        "Month-end batch slow; runs for hours",
        "Lock contention with the reporting jobs.",
        "Pause the reporting jobs.",
        "Schedule reporting after the batch.",
        False,
    ),
    (
        "Connectivity",
        "Application cannot reach the database",
        "Connection refused; application cannot reach the database",
        "The connection pool is exhausted.",
        "Restart the application service.",
        "Database raises the pool limit and fixes the leaking connections.",
        False,
    ),
    (
        "Data correction",
        "Wrong address on a customer record",
        "Customer address wrong; cannot edit the record",
        "Locked by the synchronisation job.",
        "—",
        "Database corrects the record after the sync window.",
        False,
    ),
    (
        "Desk phone",
        "Desk phone has no dial tone",
        "No dial tone on the desk phone; display shows no service",
        "The phone lost its network registration.",
        "Use the softphone.",
        "Unplug the phone for 10 s; Voice re-registers it if that fails.",
        True,
    ),
    (
        "Desk phone",
        "Cannot transfer calls",
        "Call transfer fails; caller is cut off",
        "The transfer key is mapped to blind transfer.",
        "Use the softphone to transfer.",
        "Voice updates the phone's key template.",
        True,
    ),
    (
        "Mobile phone",
        "Work mobile not receiving email",
        "No new email on the work mobile",
        "The device lost its management profile.",
        "Use webmail on the phone.",
        "Re-enrol the phone in device management.",
        True,
    ),
    (
        "Voicemail",
        "Voicemail PIN not accepted",
        "Voicemail PIN rejected; locked out of voicemail",
        "Too many wrong PINs.",
        "—",
        "The service desk resets the PIN in the voice portal.",
        True,
    ),
]
TOPIC_QUESTIONS: list[tuple[str, str, str, list[tuple[str, bool]]]] = [
    (
        Topic.MAJOR_INCIDENTS,
        "Who declares a major incident?",
        "The incident manager declares it and runs its communication.",
        [("The incident manager", True), ("Any agent", False), ("The caller", False)],
    ),
    (
        Topic.MAJOR_INCIDENTS,
        "Which are signs of a major incident? Choose every one.",
        "Many users or a critical service affected, with high impact, make it major.",
        [
            ("Many users cannot work", True),
            ("A critical business service is down", True),
            ("One user forgot a password", False),
        ],
    ),
    (
        Topic.WHEN_TO_ESCALATE,
        "A caller's issue is beyond tier 1 skills. What do you do?",
        "Escalate functionally with a reason: the hand-off is timed per tier.",
        [
            ("Escalate to the right group with a reason", True),
            ("Keep it until the SLA breaches", False),
            ("Close it and ask for a new one", False),
        ],
    ),
    (
        Topic.SLA,
        "While an incident is on hold awaiting the caller, its SLA clock…",
        "The clock pauses and resumes with the time left.",
        [("pauses", True), ("keeps running", False), ("restarts from zero", False)],
    ),
]


def load_knowledge_demo(*, seed: int = 20261128) -> dict[str, int]:
    if Article.objects.exists():
        return {"articles": 0}
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    staff = list(get_user_model().objects.filter(memberships__isnull=False).distinct().order_by("username"))
    if not staff:
        return {"articles": 0}
    subs = {c.name: c for c in Category.objects.filter(parent__isnull=False).select_related("parent")}
    services = list(Service.objects.order_by("name"))
    by_name = {
        u.username: u for u in get_user_model().objects.filter(username__in=["incidentmgr", "alice", "bob"])
    }
    publisher = by_name.get("incidentmgr") or staff[0]
    Counter.objects.get_or_create(name=COUNTER, defaults={"value": 0})
    start = Counter.objects.get(name=COUNTER).value
    rows: list[Article] = []
    for i, (sub, title, symptoms, cause, workaround, resolution, public) in enumerate(ARTICLES):
        category = subs.get(sub)
        status = Status.PUBLISHED if i % 9 else (Status.DRAFT if i % 2 else Status.IN_REVIEW)
        created = now - timedelta(days=rng.randint(60, 170))
        review = today + timedelta(days=rng.randint(20, 160))
        if i in (3, 13, 22, 31):  # a few past their review date
            review = today - timedelta(days=rng.randint(3, 40))
        rows.append(
            Article(
                number=f"KB{start + i + 1:05d}",
                title=title,
                symptoms=symptoms,
                cause=cause if cause != "—" else "",
                workaround=workaround if workaround != "—" else "",
                resolution=resolution,
                category=category.parent if category else None,
                service=rng.choice(services) if services and rng.random() < 0.5 else None,
                visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
                status=status,
                author=staff[i % len(staff)],
                owner=staff[(i * 7) % len(staff)],
                review_on=review,
                created_at=created,
                updated_at=created + timedelta(days=10),
                published_at=created + timedelta(days=3) if status == Status.PUBLISHED else None,
            )
        )
    Article.objects.bulk_create(rows)
    Counter.objects.filter(name=COUNTER).update(value=F("value") + len(rows))
    articles = list(Article.objects.order_by("number"))
    versions: list[ArticleVersion] = []
    for i, a in enumerate(articles):
        if a.status != Status.PUBLISHED or a.published_at is None:
            continue
        count = 1 + (i % 3 == 0) + (i % 6 == 0)
        for n in range(1, count + 1):
            older = n < count
            versions.append(
                ArticleVersion(
                    article=a,
                    number=n,
                    title=a.title,
                    symptoms=a.symptoms,
                    cause=a.cause,
                    workaround="" if older else a.workaround,
                    resolution=(a.resolution.split(";")[0] + ".") if older else a.resolution,
                    visibility=a.visibility,
                    published_by=publisher,
                    published_at=a.published_at + timedelta(days=7 * (n - 1)),
                )
            )
    ArticleVersion.objects.bulk_create(versions)
    links = _link_incidents(rng, articles, now)
    _self_solved(rng, articles, by_name, now)
    attempts = _quizzes(rng, now)
    return {"articles": len(articles), "versions": len(versions), "links": links, "attempts": attempts}


def _link_incidents(rng: random.Random, articles: list[Article], now: Any) -> int:
    """Resolved demo incidents of an article's category link to it, with their timeline entry."""
    published = [a for a in articles if a.status == Status.PUBLISHED and a.category_id]
    incidents: list[dict[str, Any]] = [
        dict(row)
        for row in Incident.objects.filter(resolved_at__isnull=False, category__isnull=False)
        .order_by("-resolved_at")
        .values("pk", "category_id", "resolved_at", "assigned_to_id")[:600]
    ]
    by_category: dict[int, list[dict[str, Any]]] = {}
    for inc in incidents:
        by_category.setdefault(inc["category_id"], []).append(inc)
    link_rows: list[ArticleLink] = []
    events: list[IncidentEvent] = []
    for article in published:
        pool = by_category.get(article.category_id or 0, [])
        for inc in rng.sample(pool, min(len(pool), rng.randint(0, 4))):
            at = inc["resolved_at"] - timedelta(minutes=5)
            link_rows.append(
                ArticleLink(
                    article=article, incident_id=inc["pk"], linked_by_id=inc["assigned_to_id"], linked_at=at
                )
            )
            events.append(
                IncidentEvent(
                    incident_id=inc["pk"],
                    kind=IncidentEvent.Kind.KNOWLEDGE_LINKED,
                    actor_id=inc["assigned_to_id"],
                    created_at=at,
                    body=f"{article.number} {article.title}",
                    changes={"knowledge_article": {"old": None, "new": article.number}},
                    notified_at=at,
                )
            )
    ArticleLink.objects.bulk_create(link_rows, ignore_conflicts=True)
    IncidentEvent.objects.bulk_create(events)
    return len(link_rows)


def _self_solved(rng: random.Random, articles: list[Article], by_name: dict[str, Any], now: Any) -> None:
    callers = [u for k, u in by_name.items() if k in ("alice", "bob")]
    public = [a for a in articles if a.status == Status.PUBLISHED and a.visibility == Visibility.PUBLIC]
    rows = []
    for day in range(1, 120, 3):
        for user in callers:
            if public and rng.random() < 0.5:
                at = now - timedelta(days=day)
                rows.append(
                    SelfSolvedReport(article=rng.choice(public), user=user, day=at.date(), created_at=at)
                )
    SelfSolvedReport.objects.bulk_create(rows, ignore_conflicts=True)


def _quizzes(rng: random.Random, now: Any) -> int:
    generated = generated_quiz_ensure(current=True)
    for topic, text, explanation, choices in TOPIC_QUESTIONS:
        question = Question.objects.create(
            topic=topic,
            text=text,
            explanation=explanation,
            kind="multiple" if sum(c for _, c in choices) > 1 else "single",
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=t, is_correct=c, position=i) for i, (t, c) in enumerate(choices)
        )
    Quiz.objects.get_or_create(
        slug="process-refresher",
        defaults={
            "title": "Ten-minute process refresher",
            "mode": Quiz.Mode.RANDOM,
            "question_count": 8,
            "time_limit_minutes": 10,
            "description": "Eight questions drawn at random from the whole bank, in ten minutes.",
        },
    )
    made = 0
    members = list(Membership.objects.select_related("user").order_by("user__username"))
    seen: set[int] = set()
    for membership in members:
        user = membership.user
        if user.pk in seen or rng.random() < 0.3:  # some have not taken it yet
            continue
        seen.add(user.pk)
        for months_ago in (4, 2, 0):
            if rng.random() < 0.35:
                continue
            at = now - timedelta(days=30 * months_ago + rng.randint(1, 20))
            attempt = attempt_start(actor=user, quiz=generated, now=at, seed=made)
            answers = {}
            for question in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices"):
                options = list(question.choices.all())
                right = [c.pk for c in options if c.is_correct]
                # People get better over time: more right answers in recent months.
                answers[question.pk] = (
                    right if rng.random() < 0.55 + 0.1 * (4 - months_ago) else [options[0].pk]
                )
            attempt_submit(actor=user, attempt=attempt, answers=answers, now=at + timedelta(minutes=9))
            made += 1
    return made


def bench_articles(count: int, *, seed: int = 7) -> int:
    """``count`` published articles made from the demo texts, for measuring suggestions at scale
    (``make bench``): in bulk, numbered after the existing ones."""
    rng = random.Random(seed)
    author = get_user_model().objects.filter(memberships__isnull=False).first()
    if author is None:
        return 0
    Counter.objects.get_or_create(name=COUNTER, defaults={"value": 0})
    start = Counter.objects.get(name=COUNTER).value
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ru",
        "sa",
        "te",
        "vo",
        "zi",
        "pa",
        "den",
        "gor",
        "hul",
        "bri",
        "fen",
    ]
    vocabulary = ["".join(rng.choice(syllables) for _ in range(3)) for _ in range(5000)]
    now = timezone.now()
    batch: list[Article] = []
    for i in range(count):
        _, title, symptoms, cause, workaround, resolution, public = ARTICLES[i % len(ARTICLES)]
        # A realistic spread: each article has a few words of its own beside the shared ones.
        own = " ".join(rng.choice(vocabulary) for _ in range(5))
        body = " ".join(rng.choice(vocabulary) for _ in range(60))
        batch.append(
            Article(
                number=f"KB{start + i + 1:05d}",
                title=f"{title} ({i})",
                symptoms=f"{symptoms} {own}",
                cause=cause,
                workaround=workaround,
                resolution=f"{resolution} {body}",
                visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
                status=Status.PUBLISHED,
                author=author,
                owner=author,
                created_at=now,
                updated_at=now,
                published_at=now,
            )
        )
    Article.objects.bulk_create(batch, batch_size=1000)
    Counter.objects.filter(name=COUNTER).update(value=F("value") + count)
    if connection.vendor == "postgresql":
        # What autovacuum does in time: merge the GIN indexes' pending lists (scanned row by row until
        # then) and give the planner the new rows' statistics, so that a measurement right after the
        # load sees the steady state.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                "WHERE i.indrelid = 'knowledge_article'::regclass AND am.amname = 'gin'"
            )
            cursor.execute("ANALYZE knowledge_article")
    return count
