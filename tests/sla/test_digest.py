"""Several SLA thresholds reaching one person at once leave as one digest mail (issue 25 §5, SPEC §7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu import Connection

from incidents.models import IncidentEvent, Notification
from incidents.notifications import delivery
from incidents.notifications.tasks import (
    notification_digest_task,
    notification_digests_task,
    notification_email_task,
)
from incidents.records.models import EventDelivery
from incidents.records.outbox import PUBLISH_TOGETHER_TASK
from incidents.records.tasks import events_publish_task
from incidents.sla.sweep import sla_sweep
from profiles.locale import default_locale
from profiles.models import Profile
from servicedesk import celery_app
from tests.factories import group, make_incident, make_user
from tests.sla.test_sweep import own_broker  # noqa: F401
from tests.smtp import smtp_server, smtp_settings

User = get_user_model()
pytestmark = pytest.mark.django_db
# What publishing one batch of the sweep costs in queries, whatever its length (issue 25 §5; two are
# the savepoint lines of the test's transaction).
QUERIES_PER_BATCH = 21


@pytest.fixture
def queued(monkeypatch):
    """What delivery queues, run by hand below (no worker here)."""
    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(delivery, "enqueue_on_commit", lambda name, arg: calls.append((name, arg)))
    return calls


def _overdue_p1s(count: int, *, hours: float = 5, callers: bool = False):
    """``count`` overdue P1s of the network group, all called in by alice1, or each by a caller of its
    own (``callers``, as in a catch-up)."""
    agent = make_user("agent1", groups=["service-desk"])
    netops = make_user("netops1", groups=["network"], email="netops1@example.org")
    make_user("im1", roles=["Incident manager"], email="im1@example.org")
    alice = make_user("alice1")
    return [
        make_incident(
            actor=agent,
            caller=make_user(f"caller{n}") if callers else alice,
            impact=1,
            urgency=1,
            assignment_group=group("network"),
            assigned_to=netops,
            now=timezone.now() - timedelta(hours=hours),
        )
        for n in range(count)
    ]


def _digests(calls) -> list[list[int]]:
    """The groups of the digests queued, each task's (``DIGESTS_TASK``: a batch's, several addresses)."""
    return [group for name, arg in calls if name == delivery.DIGESTS_TASK for group in arg]


def _run(calls):
    sent = 0
    for name, arg in calls:
        if name == delivery.DIGESTS_TASK:
            sent += notification_digests_task(arg)
        elif name == delivery.DIGEST_TASK:
            sent += notification_digest_task(arg)
        elif name == delivery.EMAIL_TASK:
            sent += notification_email_task(arg)
    return sent


def test_a_batch_reaching_one_person_several_times_sends_one_digest_each(queued):
    incidents = _overdue_p1s(3)
    sla_sweep()
    events = list(IncidentEvent.objects.filter(kind__startswith="sla_").values_list("pk", flat=True))
    assert len(events) == 9
    mail.outbox.clear()

    events_publish_task(events)  # one batch of the sweep

    assert [name for name, _ in queued] == [delivery.DIGESTS_TASK]  # one task for the batch's digests
    digests = _digests(queued)
    by_address = {Notification.objects.get(pk=ids[0]).email_to: ids for ids in digests}
    assert sorted(by_address) == ["im1@example.org", "netops1@example.org"]
    assert len(by_address["netops1@example.org"]) == 9  # three thresholds of three incidents
    assert len(by_address["im1@example.org"]) == 6  # its points of escalation: 75 % and 90 %

    with CaptureQueriesContext(connection) as ctx:
        assert _run(queued) == 15
    assert len(mail.outbox) == 2
    # a digest reads what it lists, not each notification's own text and HTML
    read = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert read and not [sql for sql in read if '"incidents_notification"."body' in sql]
    netops = next(m for m in mail.outbox if m.to == ["netops1@example.org"])
    assert netops.subject.startswith("9 SLA notifications: ")
    for incident in incidents:
        assert incident.number in netops.subject
        assert netops.body.count(f"[{incident.number}]") == 3
    # each notification's subject and link, the link being the one its own mail would carry
    for note in Notification.objects.filter(pk__in=by_address["netops1@example.org"]):
        assert f"- {note.subject}\n  {note.url}\n" in netops.body
        assert f'<a href="{note.url}">' in netops.alternatives[0][0]
    assert "References" not in netops.extra_headers  # about several incidents: no thread of one
    assert netops.extra_headers["X-Servicedesk-Notifications"] == ",".join(
        str(pk) for pk in sorted(by_address["netops1@example.org"])
    )
    assert not Notification.objects.filter(event__in=events, emailed_at__isnull=True).exists()

    assert _run(queued) == 0  # redelivered: nothing leaves twice
    assert len(mail.outbox) == 2


def _digests_with_a_refused_address(queued) -> list:
    """The digests tasks queued for a sweep of three overdue P1s reaching netops1, im1 and gone@example.org
    (netops2, whom the tests' mail server will refuse)."""
    _overdue_p1s(3)
    make_user("netops2", groups=["network"], email="gone@example.org")
    sla_sweep()
    events_publish_task(
        list(IncidentEvent.objects.filter(kind__startswith="sla_").values_list("pk", flat=True))
    )
    return [arg for name, arg in queued if name == delivery.DIGESTS_TASK]


def test_a_batchs_digests_leave_through_one_connection_and_a_refused_one_backs_off_alone(queued):
    # given a batch of the sweep reaching three people several times each, one of whom the mail server
    # refuses
    tasks = _digests_with_a_refused_address(queued)
    assert [len(groups) for groups in tasks] == [3]  # one task, three digests

    # when the task sends them through a real SMTP server
    with smtp_server() as (server, port), override_settings(**smtp_settings(port)):
        server.refuse.add("gone@example.org")
        assert notification_digests_task(tasks[0]) == 9 + 6  # netops1's and im1's

    # then both digests it accepts arrived through one connection, and the refused one backs off on
    # its own, for the flush to retry
    assert sorted(m["To"] for m in server.messages) == ["im1@example.org", "netops1@example.org"]
    assert len(server.sessions) == 1
    refused = Notification.objects.filter(email_to="gone@example.org")
    assert refused.count() == 9
    assert not refused.filter(emailed_at__isnull=False).exists()
    assert all(n.email_claimed_until > timezone.now() and n.email_attempts == 1 for n in refused)
    assert (
        not Notification.objects.exclude(email_to="gone@example.org").filter(emailed_at__isnull=True).exists()
    )


def test_a_digest_is_written_in_its_readers_language(queued):
    _overdue_p1s(2)
    netops = get_user_model().objects.get(username="netops1")
    Profile.objects.create(user=netops, language="de", time_zone="Europe/Berlin")
    sla_sweep()
    events = list(IncidentEvent.objects.filter(kind__startswith="sla_").values_list("pk", flat=True))
    mail.outbox.clear()

    events_publish_task(events)
    _run(queued)

    german = next(m for m in mail.outbox if m.to == ["netops1@example.org"])
    english = next(m for m in mail.outbox if m.to == ["im1@example.org"])
    assert german.subject.startswith("6 SLA-Benachrichtigungen: "), german.subject
    assert "Hallo " in german.body and "SLA-Schwellen haben Sie gleichzeitig erreicht" in german.body
    assert "Hallo " in german.alternatives[0][0]
    assert english.subject.startswith("4 SLA notifications: ") and "Hello " in english.body


def test_a_single_escalation_leaves_as_itself_threaded_with_its_incident(queued):
    # 3 h 20 min into a 4 h P1: only the 75 % warning is due, once for each of two people.
    (incident,) = _overdue_p1s(1, hours=3 + 1 / 3)
    sla_sweep()
    events = list(IncidentEvent.objects.filter(kind__startswith="sla_").values_list("pk", flat=True))
    assert len(events) == 1
    mail.outbox.clear()

    events_publish_task(events)

    assert {name for name, _ in queued} == {delivery.EMAIL_TASK}
    assert _run(queued) == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.extra_headers["References"] == delivery.thread_message_id(incident)
        assert message.extra_headers["Message-ID"].startswith("<notification-")


def test_a_digest_whose_notifications_another_worker_holds_sends_what_is_left(queued):
    _overdue_p1s(2)
    sla_sweep()
    events = list(IncidentEvent.objects.filter(kind__startswith="sla_").values_list("pk", flat=True))
    events_publish_task(events)
    mail.outbox.clear()
    ids = next(group for group in _digests(queued) if len(group) == 6)
    held = ids[:5]
    Notification.objects.filter(pk__in=held).update(email_claimed_until=timezone.now() + timedelta(minutes=1))

    assert notification_digest_task(ids) == 1  # the one left goes as itself
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<notification-")
    assert Notification.objects.filter(pk__in=held, emailed_at__isnull=True).count() == 5


def test_a_batch_reads_a_groups_contacts_and_the_same_peoples_settings_once(queued):
    # given ten overdue P1s of one group, each called in by someone else: thirty thresholds fired
    _overdue_p1s(10, callers=True)
    sla_sweep()
    events = list(
        IncidentEvent.objects.filter(kind__startswith="sla_").order_by("pk").values_list("pk", flat=True)
    )
    assert len(events) == 30

    # when the thresholds of three incidents are published as one batch, and the other seven's as another
    with CaptureQueriesContext(connection) as small:
        events_publish_task(events[:9])
    with CaptureQueriesContext(connection) as ctx:
        events_publish_task(events[9:])

    # then the group's points of escalation are read once per threshold (three), its members once, the
    # recipients' staff status, language and mail preferences once each, the events, their fires and their
    # incidents' watchers once, the staff status of all the callers (who may not hear of an internal
    # matter) once, and the notification rows written with one insert: a batch costs the same whatever
    # its length, not a few queries per event (issue 25 §5: 20.0 per event, then 13.3, then one for
    # each incident's caller)
    def reads(table: str) -> int:
        return sum(
            1 for q in ctx.captured_queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
        )

    def inserts(table: str) -> int:
        return sum(1 for q in ctx.captured_queries if q["sql"].startswith(f'INSERT INTO "{table}"'))

    assert reads("escalation_escalationpoint") == 3
    assert reads("escalation_membership") == 1
    assert reads("profiles_profile") == 1
    assert reads("incidents_notificationpreference") == 1
    assert reads("incidents_slathresholdfire") == 1
    assert reads("incidents_watcher") == 1
    assert (
        sum('FROM "auth_user" LEFT OUTER JOIN "auth_user_groups"' in q["sql"] for q in ctx.captured_queries)
        == 1
    )
    assert reads("escalation_supportgroup") == 0  # the incident's group comes with the event
    assert inserts("incidents_notification") == 1
    assert inserts("incidents_eventdelivery") == 1
    assert len(ctx.captured_queries) == len(small.captured_queries) == QUERIES_PER_BATCH, "\n".join(
        q["sql"][:100] for q in ctx.captured_queries
    )
    # and every recipient still has each of the thirty notifications meant for them, each event published
    assert Notification.objects.filter(event_id__in=events, recipient__username="netops1").count() == 30
    assert not IncidentEvent.objects.filter(pk__in=events, notified_at__isnull=True).exists()


class _Every(set):
    """Every template rendered for each recipient alone, as before issue 25 §5's sharing."""

    def __contains__(self, template: object) -> bool:
        return True


def _mails(events) -> dict[tuple[int, str, str], tuple[str, str, str]]:
    return {
        (n.event_id, n.recipient.username, n.kind): (n.subject, n.body, n.body_html)
        for n in Notification.objects.filter(event_id__in=events).select_related("recipient")
    }


def test_a_thresholds_mail_is_rendered_once_per_language_and_zone_and_reads_as_if_written_to_each(
    queued, monkeypatch
):
    # given two overdue P1s of the network group, whose members read English in London, German in
    # Berlin (two of them, one with markup in her name) and French in New York (no name: the username)
    _overdue_p1s(2)
    zoe = make_user("netops2", groups=["network"], first_name="Zoë <b>&", last_name="O'Brien")
    jorg = make_user("netops3", groups=["network"], first_name="Jörg", last_name="")
    anon = make_user("netops4", groups=["network"], first_name="", last_name="")
    Profile.objects.create(user=zoe, language="de", time_zone="Europe/Berlin")
    Profile.objects.create(user=jorg, language="de", time_zone="Europe/Berlin")
    Profile.objects.create(user=anon, language="fr", time_zone="America/New_York")
    sla_sweep()
    events = list(IncidentEvent.objects.filter(kind__startswith="sla_").values_list("pk", flat=True))
    rendered: list[str] = []
    render = delivery.render_email
    monkeypatch.setattr(
        delivery, "render_email", lambda name, context: rendered.append(name) or render(name, context)
    )

    # when the batch is published
    events_publish_task(events)

    # then each threshold's mail is rendered once per kind and per language and zone, not per recipient
    shared = _mails(events)
    locales = {"netops2": "de", "netops3": "de", "netops4": "fr"}
    assert len(rendered) == len({(e, kind, locales.get(user, "en")) for e, user, kind in shared})
    assert len(rendered) < len(shared)
    mail_to = {user: mail for (_, user, kind), mail in shared.items() if kind != "sla_escalation"}
    assert "Hallo Zoë <b>& O'Brien," in mail_to["netops2"][1]
    assert "Hallo Zoë &lt;b&gt;&amp; O&#x27;Brien," in mail_to["netops2"][2]
    assert "Hallo Jörg," in mail_to["netops3"][1]
    assert mail_to["netops4"][1].startswith("Bonjour netops4,")
    # and each reads exactly as the mail rendered for its recipient alone
    Notification.objects.filter(event_id__in=events).delete()
    EventDelivery.objects.filter(event_id__in=events).delete()
    IncidentEvent.objects.filter(pk__in=events).update(notified_at=None)
    monkeypatch.setattr(delivery, "_per_recipient", _Every())
    events_publish_task(events)
    alone = _mails(events)
    assert sorted(alone) == sorted(shared)
    for key, mail_alone in alone.items():
        assert shared[key] == mail_alone, key


def test_a_mail_that_reads_more_of_its_recipient_than_the_name_is_rendered_for_each(monkeypatch):
    templates = {
        "t/x.subject.txt": "About {{ incident }}",
        "t/x.txt": "Hello {{ recipient.get_full_name|default:recipient.username }}, {{ recipient.email }}",
        "t/x.html": "<p>{{ recipient.username }}</p>",
    }
    engine = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", templates)]},
    }
    monkeypatch.setattr(delivery, "_per_recipient", set())
    ann = User(username="ann", first_name="Ann", last_name="Lee", email="ann@example.org")
    bob = User(username="bob", email="bob@example.org")
    shared: dict = {}
    with override_settings(TEMPLATES=[engine]):
        mails = [
            delivery._render("t/x", {"incident": "INC1", "recipient": user}, default_locale(), shared)
            for user in (ann, bob)
        ]
    assert [m.text for m in mails] == ["Hello Ann Lee, ann@example.org", "Hello bob, bob@example.org"]
    assert [m.html for m in mails] == ["<p>ann</p>", "<p>bob</p>"]
    assert "t/x" in delivery._per_recipient


def test_a_batchs_mail_is_taken_before_the_batches_of_the_sweep_queued_after_it(own_broker):  # noqa: F811
    # given two batches of the sweep queued for publishing, then the first batch's digest and mail
    for name, args in (
        (PUBLISH_TOGETHER_TASK, ([1, 2],)),
        (PUBLISH_TOGETHER_TASK, ([3, 4],)),
        (delivery.DIGEST_TASK, ([7, 8],)),
        (delivery.EMAIL_TASK, (9,)),
    ):
        celery_app.signature(name, args=args).apply_async()

    # then a notifications worker takes the mail first (kombu takes a Redis queue's priorities in
    # order), then the publishing, in the order it was queued
    with Connection(celery_app.conf.broker_url) as connection_:
        queue = connection_.SimpleQueue("notifications")
        taken = []
        for _ in range(4):
            message = queue.get(timeout=5)
            taken.append((message.headers["task"], message.headers["argsrepr"]))
            message.ack()
        queue.close()
    assert taken == [
        (delivery.DIGEST_TASK, "([7, 8],)"),
        (delivery.EMAIL_TASK, "(9,)"),
        (PUBLISH_TOGETHER_TASK, "([1, 2],)"),
        (PUBLISH_TOGETHER_TASK, "([3, 4],)"),
    ]


def test_a_refused_single_mail_does_not_keep_the_batchs_digests_from_leaving(queued):
    # given a batch whose first group is a single notification to an address the mail server refuses
    (groups,) = _digests_with_a_refused_address(queued)
    gone = set(Notification.objects.filter(email_to="gone@example.org").values_list("pk", flat=True))
    lone = min(gone)
    batch = [[lone]] + [group for group in groups if not gone & set(group)]

    # when the task sends them through a real SMTP server
    with smtp_server() as (server, port), override_settings(**smtp_settings(port)):
        server.refuse.add("gone@example.org")
        assert notification_digests_task(batch) == 9 + 6

    # then the digests left, and the refused mail backs off alone for the flush to retry
    assert sorted(m["To"] for m in server.messages) == ["im1@example.org", "netops1@example.org"]
    refused = Notification.objects.get(pk=lone)
    assert refused.emailed_at is None
    assert refused.email_claimed_until > timezone.now() and refused.email_attempts == 1
