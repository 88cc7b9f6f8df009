"""Sessions of the process (SPEC §19): review seminars over monthly reports and knowledge-sharing
sessions, who was invited and who came, the minutes, and the decisions that become review actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.models import SupportGroup


class Session(models.Model):
    class Kind(models.TextChoices):
        REVIEW = "review", _("Review seminar")
        SHARING = "sharing", _("Knowledge-sharing session")

    TITLE_MAX_LENGTH = 200

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    topic = models.CharField(max_length=200, blank=True)
    agenda = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Knowledge sharing: the articles and the (major) incidents talked about. Incidents are shown
    # to each person through the visibility rule only.
    articles: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        to="knowledge.Article", blank=True, related_name="+"
    )
    incidents: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        to="incidents.Incident", blank=True, related_name="+"
    )
    invited_groups: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        SupportGroup, blank=True, related_name="+"
    )
    minutes = models.TextField(blank=True)
    minutes_updated_at = models.DateTimeField(null=True, blank=True)
    # The invitation's SEQUENCE (RFC 5545): a changed session is mailed again with a higher one.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at"], name="meeting_starts")]

    def __str__(self) -> str:
        return self.title

    @property
    def uid(self) -> str:
        """The calendar UID: stable for the session, so that a client updates its event in place."""
        return f"session-{self.pk}@servicedesk"

    @property
    def ends_at(self) -> Any:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_past(self) -> bool:
        return self.starts_at <= timezone.now()


class SessionMonth(models.Model):
    """A monthly report a review seminar goes over (the first day of the month)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="months")
    month = models.DateField()

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["session", "month"], name="meeting_month_once")]
        indexes = [models.Index(fields=["month"], name="meeting_month")]

    def __str__(self) -> str:
        return f"{self.session_id} over {self.month:%Y-%m}"


class Invitee(models.Model):
    """One person invited (by name or through a group), their invitation mail, and whether they came."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="invitees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(blank=True)
    # The sequence of the last invitation mailed; below the session's, a new one is due.
    mailed_sequence = models.IntegerField(default=-1)
    mailed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    mail_attempts = models.PositiveSmallIntegerField(default=0)
    # None until attendance is taken after the session.
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="meeting_invitee_once")]
        indexes = [models.Index(fields=["user", "attended"], name="meeting_invitee_user")]

    def __str__(self) -> str:
        return f"{self.user_id} to {self.session_id}"


class Decision(models.Model):
    """What a session decided; with an owner and a due date it is tracked as a review action."""

    TEXT_MAX_LENGTH = 200

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="decisions")
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    action = models.OneToOneField(
        to="reporting.ReviewAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # When the action's owner was reminded that it is due (once; set when claimed).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text


class TrainingPlan(models.Model):
    """Training assigned to a support group (its members, including those who join later) or to a
    role (everyone who has it): quizzes to pass, articles to read, sessions to attend."""

    TITLE_MAX_LENGTH = 200

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    group = models.ForeignKey(SupportGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=80, blank=True, help_text=_("A role (a Django group name)."))
    # Someone who joins the group after an item's due date has this many days from joining.
    newcomer_days = models.PositiveSmallIntegerField(default=14)
    # The escalation-process training: the register page shows, per group, who has completed it.
    is_escalation_process = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                name="training_plan_group_or_role",
                condition=(
                    models.Q(group__isnull=False, role="") | models.Q(group__isnull=True) & ~models.Q(role="")
                ),
                violation_error_message=_("A plan is for a group or for a role."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class TrainingItem(models.Model):
    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Pass the quiz")
        ARTICLE = "article", _("Read the article")
        SESSION = "session", _("Attend the session")

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    quiz = models.ForeignKey(
        "knowledge.Quiz", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # A quiz is passed with at least this share of the points.
    pass_percent = models.PositiveSmallIntegerField(default=80)
    due_on = models.DateField()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="training_item_due")]
        constraints = [
            models.CheckConstraint(
                name="training_item_target",
                condition=(
                    models.Q(kind="quiz", quiz__isnull=False, article__isnull=True, session__isnull=True)
                    | models.Q(kind="article", quiz__isnull=True, article__isnull=False, session__isnull=True)
                    | models.Q(kind="session", quiz__isnull=True, article__isnull=True, session__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.target}"

    @property
    def target(self) -> Any:
        return self.quiz or self.article or self.session


class ArticleRead(models.Model):
    """A person's word that they read an article of their training."""

    item = models.ForeignKey(TrainingItem, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="training_read_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.item_id}"


class TrainingReminder(models.Model):
    """The sent-once record of one reminder before an item's due date: the unique key is the guard."""

    item = models.ForeignKey(TrainingItem, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="training_reminder_once")]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.user_id}"
