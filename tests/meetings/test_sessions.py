"""Sessions (issue 26 §1): scheduling mails an .ics through real SMTP that a calendar library reads
back; attendance, minutes and decisions, which become the month's review actions."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from escalation.access import access_for
from meetings.models import Invitee, Session
from meetings.selectors import sessions_attended
from meetings.services import attendance_record, decision_add, minutes_save, session_schedule
from meetings.tasks import invitation_send_task, meetings_housekeeping_task
from reporting.models import ReviewAction
from reporting.periods import Month
from reporting.services import report_generate
from tests.factories import group, make_incident, make_user
from tests.smtp import smtp_server, smtp_settings

pytestmark = pytest.mark.django_db


def _send_all(session: Session) -> int:
    return sum(invitation_send_task(pk) for pk in session.invitees.values_list("pk", flat=True))


def test_a_review_seminar_is_mailed_as_an_ics_with_the_report_pdf_through_real_smtp(
    manager, incident_manager, agent, alice, settings, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-10-01 09:00:00+01:00", tick=False)
    make_incident(actor=agent, caller=alice)
    report_generate(month=Month(2026, 9))
    incident_manager.email = "im1@example.org"
    incident_manager.save()
    make_user("netops9", groups=["network"], email="netops9@example.org")
    starts = timezone.make_aware(datetime(2026, 10, 6, 10, 0))
    with smtp_server() as (recorder, port):
        for key, value in smtp_settings(port).items():
            setattr(settings, key, value)
        with django_capture_on_commit_callbacks() as callbacks:
            session = session_schedule(
                actor=incident_manager,
                kind=Session.Kind.REVIEW,
                title="Review of September",
                starts_at=starts,
                duration_minutes=90,
                location="Room 2",
                agenda="1. SLA by priority",
                months=[Month(2026, 9)],
                users=[manager],
                groups=[group("network")],
            )
        assert len(callbacks) == 3  # one invitation per invitee, queued after commit
        assert set(session.invitees.values_list("user__username", flat=True)) == {
            "im1",
            "manager1",
            "netops9",
        }
        assert meetings_housekeeping_task() == 3  # what the worker (or beat, after a loss) does
        assert _send_all(session) == 0  # sent already: never twice
        assert meetings_housekeeping_task() == 0
    assert len(recorder.messages) == 3
    message = recorder.to("netops9@example.org")[0]
    assert "Review of September" in message["Subject"]
    parts = {part.get_content_type(): part for part in message.walk()}
    ics_part = parts["text/calendar"]
    assert ics_part.get_param("method") == "REQUEST"
    assert ics_part.get_filename() == "invitation.ics"
    calendar = Calendar.from_ical(ics_part.get_content())
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.pk}@servicedesk"
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTEND") == starts + timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Review of September"
    assert str(event["LOCATION"]) == "Room 2"
    assert str(event["ATTENDEE"]).lower() == "mailto:netops9@example.org"
    assert str(event["ORGANIZER"]).lower() == "mailto:im1@example.org"
    assert "SLA by priority" in str(event["DESCRIPTION"])
    # the report PDF of the month reviewed rides along
    attachments = {p.get_filename(): p for p in message.iter_attachments() if p.get_filename()}
    assert "report-2026-09.pdf" in attachments
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(attachments["report-2026-09.pdf"].get_content())).pages
    )
    assert "Incident report September 2026" in text


def test_a_knowledge_sharing_session_names_only_the_incidents_each_invitee_may_read(
    incident_manager, agent, alice, settings, django_capture_on_commit_callbacks
):
    secops = make_user("secops9", groups=["security"], email="secops9@example.org")
    agent.email = "agent1@example.org"
    agent.save()
    restricted = make_incident(
        actor=secops, caller=alice, title="Phishing CANARYsecret", assignment_group=group("security")
    )
    open_one = make_incident(actor=agent, caller=alice, title="Printer jam everywhere")
    with django_capture_on_commit_callbacks():
        session = session_schedule(
            actor=incident_manager,
            kind=Session.Kind.SHARING,
            title="What we learnt",
            starts_at=timezone.now() + timedelta(days=2),
            incidents=[restricted, open_one],
            users=[agent, secops],
        )
    _send_all(session)
    from django.core import mail

    to_agent = next(m for m in mail.outbox if "agent1@example.org" in m.to)
    to_secops = next(m for m in mail.outbox if "secops9@example.org" in m.to)
    assert "Printer jam everywhere" in to_agent.body and "CANARYsecret" not in to_agent.body
    assert "CANARYsecret" not in str(to_agent.message())
    assert "CANARYsecret" in to_secops.body
    # and on the page
    from django.test import Client

    client = Client()
    client.force_login(agent)
    page = client.get(reverse("meetings:detail", args=[session.pk])).content.decode()
    assert "Printer jam everywhere" in page and "CANARYsecret" not in page


def test_only_incident_managers_and_managers_schedule(agent, alice):
    with pytest.raises(PermissionDenied):
        session_schedule(
            actor=agent, kind="sharing", title="x", starts_at=timezone.now(), topic="t", users=[alice]
        )


def test_a_bad_session_says_what_is_missing(incident_manager):
    with pytest.raises(ValidationError) as caught:
        session_schedule(actor=incident_manager, kind="review", title=" ", starts_at=timezone.now())
    assert set(caught.value.message_dict) == {"title", "months", "users"}


def test_attendance_minutes_and_decisions_become_the_months_tracked_actions(
    incident_manager, manager, agent, alice, time_machine
):
    time_machine.move_to("2026-10-01 09:00:00+01:00", tick=False)
    report_generate(month=Month(2026, 9))
    session = session_schedule(
        actor=incident_manager,
        kind=Session.Kind.REVIEW,
        title="Review of September",
        starts_at=timezone.now() + timedelta(days=1),
        months=[Month(2026, 9)],
        users=[manager, agent],
    )
    with pytest.raises(ValidationError):
        attendance_record(actor=incident_manager, session=session, attended_user_ids=[manager.pk])
    time_machine.move_to("2026-10-03 09:00:00+01:00", tick=False)
    assert attendance_record(actor=incident_manager, session=session, attended_user_ids=[manager.pk]) == 1
    assert dict(session.invitees.values_list("user__username", "attended")) == {
        "im1": False,
        "manager1": True,
        "agent1": False,
    }
    minutes_save(actor=incident_manager, session=session, minutes="**Bold** <script>alert(1)</script>")
    decision = decision_add(
        actor=incident_manager,
        session=session,
        text="Add a second on-call",
        owner=agent,
        due_date=date(2026, 10, 20),
    )
    plain = decision_add(actor=incident_manager, session=session, text="Meet monthly")
    assert plain.action is None
    action = ReviewAction.objects.get()
    assert decision.action == action
    assert (action.month, action.title, action.owner, action.due_date, action.status) == (
        date(2026, 9, 1),
        "Add a second on-call",
        agent,
        date(2026, 10, 20),
        ReviewAction.Status.OPEN,
    )
    with pytest.raises(ValidationError):
        decision_add(actor=incident_manager, session=session, text="Half an action", owner=agent)
    with pytest.raises(PermissionDenied):
        decision_add(actor=agent, session=session, text="Not mine to decide")

    from django.test import Client

    client = Client()
    client.force_login(manager)
    month_page = client.get(reverse("reporting:month", args=["2026-09"])).content.decode()
    assert "Review of September" in month_page and "Add a second on-call" in month_page
    detail = client.get(reverse("meetings:detail", args=[session.pk])).content.decode()
    assert "<strong>Bold</strong>" in detail and "<script>alert(1)" not in detail
    mine = client.get(reverse("meetings:mine")).content.decode()
    assert "Review of September" in mine
    assert list(sessions_attended(access=access_for(manager), user_id=manager.pk)) == [session]
    assert not sessions_attended(access=access_for(agent), user_id=agent.pk).exists()
    # another person's attended sessions are the managers' to read, not a colleague's
    assert not sessions_attended(access=access_for(agent), user_id=manager.pk).exists()


def test_the_pages_refuse_what_a_role_may_not_do(incident_manager, agent, alice, manager):
    from django.test import Client

    session = session_schedule(
        actor=incident_manager,
        kind="sharing",
        title="Tips",
        starts_at=timezone.now(),
        topic="t",
        users=[manager],
    )
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("meetings:create")).status_code == 403
    assert client.get(reverse("meetings:detail", args=[session.pk])).status_code == 404  # not invited
    assert client.post(reverse("meetings:decision", args=[session.pk]), {"text": "x"}).status_code == 403
    client.force_login(alice)
    assert client.get(reverse("meetings:index")).status_code == 403
    client.force_login(incident_manager)
    response = client.post(reverse("meetings:create"), {"kind": "review", "title": "", "starts_at": "nope"})
    assert response.status_code == 400
    response = client.post(
        reverse("meetings:decision", args=[session.pk]), {"text": "Act", "owner": "agent1", "due_date": ""}
    )
    assert response.status_code == 400 and b"owner and a due date" in response.content
    response = client.post(
        reverse("meetings:create"),
        {
            "kind": "sharing",
            "title": "Lunch and learn",
            "starts_at": "2030-01-10T12:00",
            "duration_minutes": "45",
            "topic": "Escalation paths",
            "users": ["manager1"],
            "groups": ["network"],
        },
    )
    assert response.status_code == 302
    created = Session.objects.get(title="Lunch and learn")
    assert Invitee.objects.filter(session=created).count() >= 2


def test_a_decisions_action_is_chased_once_when_due_until_done(
    incident_manager, manager, agent, time_machine
):
    from django.core import mail

    from meetings.tasks import decision_reminders_send

    time_machine.move_to("2026-10-05 09:00:00+01:00", tick=False)
    agent.email = "agent1@example.org"
    agent.save()
    session = session_schedule(
        actor=incident_manager,
        kind="sharing",
        title="Tips",
        starts_at=timezone.now(),
        topic="t",
        users=[agent],
    )
    decision_add(
        actor=incident_manager,
        session=session,
        text="Write the script",
        owner=agent,
        due_date=date(2026, 10, 9),
    )
    decision_add(actor=incident_manager, session=session, text="No owner, no chase")
    mail.outbox = []
    assert decision_reminders_send() == 0  # not due yet
    time_machine.move_to("2026-10-09 09:00:00+01:00", tick=False)
    assert decision_reminders_send() == 1
    assert decision_reminders_send() == 0  # once
    assert mail.outbox[0].to == ["agent1@example.org"] and "Write the script" in mail.outbox[0].subject


def test_the_organisers_forms_save_and_answer_400_with_their_errors(incident_manager, manager):
    from django.test import Client

    session = session_schedule(
        actor=incident_manager,
        kind="sharing",
        title="Tips",
        starts_at=timezone.now(),
        topic="t",
        users=[manager],
    )
    client = Client()
    client.force_login(incident_manager)

    saved = client.post(reverse("meetings:minutes", args=[session.pk]), {"minutes": "We met."})
    refused = client.post(reverse("meetings:decision", args=[session.pk]), {"text": ""})

    assert saved.status_code == 302
    session.refresh_from_db()
    assert session.minutes == "We met."
    assert refused.status_code == 400
    assert refused.context["decision_form"].errors["text"]
