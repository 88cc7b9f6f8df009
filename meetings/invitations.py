"""The invitation mail: an RFC 5545 ``.ics`` (METHOD:REQUEST) that common clients accept, the
agenda, and what the session goes over -- the monthly reports as PDF, the articles and incidents
as links, each limited to what the invitee may read."""

from __future__ import annotations

from datetime import UTC
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar, Event, vCalAddress, vText

from core.mail import render_email
from escalation.access import access_for
from reporting import charts, pdf
from reporting.periods import Month
from reporting.selectors import report_latest

from . import selectors
from .models import Invitee, Session

PRODID = "-//Service desk//Sessions//EN"


def _address(email: str, name: str, *, role: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name or email)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def session_ics(session: Session, *, attendee: Any, description: str) -> bytes:
    """One VEVENT in a VCALENDAR with METHOD:REQUEST: a stable UID and a SEQUENCE that grows with
    each change, so that a client updates the event it has instead of adding another."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", session.uid)
    event.add("sequence", session.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", session.title)
    event.add("description", description)
    if session.location:
        event.add("location", session.location)
    organiser_email = session.organiser.email or settings.DEFAULT_FROM_EMAIL
    event.add("organizer", _address(organiser_email, _name(session.organiser)))
    event.add("attendee", _address(attendee.email, _name(attendee), role="REQ-PARTICIPANT"))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()


def invitation_message(invitee: Invitee) -> EmailMultiAlternatives:
    session = invitee.session
    user = invitee.user
    access = access_for(user)
    site = getattr(settings, "SITE_URL", "")
    articles = [
        (a, site + reverse("knowledge:article", args=[a.number]))
        for a in selectors.session_articles(access=access, session=session)
    ]
    incidents = [
        (i, site + reverse("incidents:detail", args=[i.number]))
        for i in selectors.session_incidents(access=access, session=session)
    ]
    months = [Month.of(m.month) for m in session.months.all()]
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        context = {
            "session": session,
            "user": user,
            "articles": articles,
            "incidents": incidents,
            "months": months,
            "url": site + reverse("meetings:detail", args=[session.pk]),
        }
        rendered = render_email("meetings/email/invitation", context)
    message = EmailMultiAlternatives(rendered.subject, rendered.text, to=[invitee.email])
    message.mixed_subtype = "mixed"
    message.attach_alternative(rendered.html, "text/html")
    ics = session_ics(session, attendee=user, description=rendered.text)
    # As its own part with METHOD (Outlook and Gmail look for it) and as a file for the others.
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="invitation.ics")
    message.attach(part)
    for month in months:
        report = report_latest(month)
        if report is None:
            continue
        message.attach(
            f"report-{month}.pdf",
            pdf.report_pdf(
                report.data,
                title=f"Incident report {month.label}",
                charts=charts.report_charts(report.data),
                version=report.code_version,
            ),
            "application/pdf",
        )
    return message
