"""Thin Celery tasks: they take ids, call a service and own their retry policy."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.urls import reverse

from core.mail import render_email

from .invitations import invitation_message
from .models import Invitee
from .services import (
    INVITATION_SEND_TASK,
    decision_reminders_claim,
    invitation_claim,
    invitation_mark,
    training_reminder_mark,
    training_reminders_claim,
)

log = logging.getLogger(__name__)


@shared_task(name=INVITATION_SEND_TASK, acks_late=True)
def invitation_send_task(invitee_id: int) -> bool:
    """Mail one invitation; network I/O outside any transaction. A failure leaves it for the flush."""
    invitee = invitation_claim(invitee_id=invitee_id)
    if invitee is None:
        return False
    try:
        invitation_message(invitee).send()
    except Exception:
        log.warning("session invitation %s not sent; retried later", invitee_id, exc_info=True)
        invitation_mark(invitee=invitee, sent=False)
        return False
    invitation_mark(invitee=invitee, sent=True)
    return True


@shared_task(acks_late=True)
def meetings_housekeeping_task() -> int:
    """Beat, hourly: invitations a lost task or a failed attempt left behind (up to 8 tries), and
    the reminders of training falling due."""
    return invitations_flush() + training_reminders_send() + decision_reminders_send()


def invitations_flush() -> int:
    sent = 0
    pending = (
        Invitee.objects.filter(mailed_sequence__lt=F("session__sequence"), mail_attempts__lt=8)
        .exclude(email="")
        .values_list("pk", flat=True)[:200]
    )
    for pk in pending:
        sent += invitation_send_task(pk)
    return sent


def training_reminders_send() -> int:
    """One mail per person and item due within a few days and not done (claimed once, then sent)."""
    sent = 0
    for reminder in training_reminders_claim():
        user = reminder.user
        if not user.email:
            continue
        try:
            rendered = render_email(
                "meetings/email/training_reminder",
                {
                    "reminder": reminder,
                    "item": reminder.item,
                    "user": user,
                    "url": settings.SITE_URL + reverse("meetings:training"),
                },
            )
            message = EmailMultiAlternatives(rendered.subject, rendered.text, to=[user.email])
            message.attach_alternative(rendered.html, "text/html")
            message.send()
        except Exception:
            log.warning("training reminder %s not sent", reminder.pk, exc_info=True)
            continue
        training_reminder_mark(reminder=reminder)
        sent += 1
    return sent


def decision_reminders_send() -> int:
    """The owner of a session decision's action that is due and open gets one mail."""
    sent = 0
    for decision in decision_reminders_claim():
        owner = decision.action.owner if decision.action else None
        if owner is None:
            continue
        try:
            rendered = render_email(
                "meetings/email/decision_due",
                {
                    "decision": decision,
                    "user": owner,
                    "url": settings.SITE_URL + reverse("meetings:detail", args=[decision.session_id]),
                },
            )
            message = EmailMultiAlternatives(rendered.subject, rendered.text, to=[owner.email])
            message.attach_alternative(rendered.html, "text/html")
            message.send()
        except Exception:
            log.warning("decision reminder %s not sent", decision.pk, exc_info=True)
            continue
        sent += 1
    return sent
