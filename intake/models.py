"""Inbound email (SPEC §7): one row per message taken in, whatever became of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from incidents.models import Incident


class Outcome(models.TextChoices):
    OPENED = "opened", gettext_lazy("Opened an incident")
    COMMENTED = "commented", gettext_lazy("Added as a comment")
    REVIEW = "review", gettext_lazy("Needs review")
    IGNORED = "ignored", gettext_lazy("Ignored (auto-reply or bounce)")
    REFUSED = "refused", gettext_lazy("Refused (too large or not accepted)")
    FAILED = "failed", gettext_lazy("Set aside (malformed)")
    ACCEPTED = "accepted", gettext_lazy("Accepted by reviewer")
    DISCARDED = "discarded", gettext_lazy("Discarded by reviewer")


class ReviewReason(models.TextChoices):
    NONE = "", "—"
    UNKNOWN_SENDER = "unknown_sender", gettext_lazy("Sender has no account")
    AMBIGUOUS_SENDER = "ambiguous_sender", gettext_lazy("Several accounts share the sender's address")
    NOT_A_PARTICIPANT = (
        "not_a_participant",
        gettext_lazy("Reply from someone who is neither caller nor watcher"),
    )
    SENDER_NOT_VERIFIED = (
        "sender_not_verified",
        gettext_lazy("The receiving server says the sender failed DMARC"),
    )


class InboundMessage(models.Model):
    """A message taken from the mailbox. ``message_key`` is unique: the exactly-once guard.

    ``raw`` is kept only while a person has to decide (review) and for what was set aside, so that
    the reviewer acts on the original and an administrator can see what failed.
    """

    RAW_KEPT_FOR = (Outcome.REVIEW, Outcome.FAILED)

    message_key = models.CharField(max_length=80, unique=True)
    message_id = models.CharField(max_length=998, blank=True)
    source = models.CharField(
        max_length=300, blank=True, help_text=gettext_lazy("Mailbox and file name or IMAP UID.")
    )
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    review_reason = models.CharField(max_length=24, choices=ReviewReason.choices, blank=True)
    detail = models.TextField(blank=True, help_text=gettext_lazy("Why it was refused, ignored or set aside."))
    text = models.TextField(blank=True, help_text=gettext_lazy("The message's text, kept for the reviewer."))
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    raw = models.BinaryField(blank=True, default=b"", editable=False)
    reply_sent_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The review queue and the set-aside list are the only filtered reads.
            models.Index(
                fields=["outcome", "-received_at"],
                name="inbound_needs_attention",
                condition=Q(outcome__in=["review", "failed", "refused"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"
