"""The knowledge app's two emails: a stale article to its owner, a quiz reminder to a staff member.

Each is sent after its sent-once claim has committed (``stale_articles_claim``, ``reminders_due``),
never inside a transaction.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from core.mail import render_email
from profiles.locale import in_locale_of

from .models import Article, QuizReminder
from .services.quizzes import reminders_due
from .services.stale import stale_articles_claim

log = logging.getLogger(__name__)


def _send(template: str, context: dict, to: str) -> bool:
    if not to:
        return False
    with in_locale_of(address=to):  # the recipient's language and time zone
        email = render_email(template, context)
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text, to=[to], headers={"Auto-Submitted": "auto-generated"}
    )
    message.attach_alternative(email.html, "text/html")
    message.send()
    return True


def stale_article_mail(article: Article) -> bool:
    url = settings.SITE_URL + reverse("knowledge:article", args=[article.number])
    return _send("knowledge/email/article_stale", {"article": article, "url": url}, article.owner.email)


def stale_articles_notify() -> int:
    sent = 0
    for article in stale_articles_claim():
        try:
            sent += stale_article_mail(article)
        except Exception:  # the claim stands: flagged once, even if this send failed
            log.exception("stale-article mail for %s failed", article.number)
    return sent


def quiz_reminders_send() -> int:
    sent = 0
    for reminder in reminders_due():
        reminder = QuizReminder.objects.select_related("assignment__quiz", "assignment__group", "user").get(
            pk=reminder.pk
        )
        url = settings.SITE_URL + reverse("knowledge:quiz", args=[reminder.assignment.quiz.slug])
        try:
            if _send(
                "knowledge/email/quiz_reminder",
                {"reminder": reminder, "quiz": reminder.assignment.quiz, "url": url},
                reminder.user.email,
            ):
                QuizReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
                sent += 1
        except Exception:
            log.exception("quiz reminder %s failed", reminder.pk)
    return sent
