"""Satisfaction surveys (SPEC §9): versioned templates, programmes, one-time invitations, answers, actions.

Versioning: a template's questions belong to one ``TemplateVersion``; editing a template writes a new
version and never touches the questions (nor the answers) of an older one. A programme carries a
``version`` counter that each edit bumps, and every invitation records both versions it was sent under.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from escalation.choices import Priority
from escalation.models import SupportGroup
from incidents.models import Category, Incident, Service


class SurveyTemplate(models.Model):
    """The identity of a template; its questions live in versions."""

    NAME_MAX_LENGTH = 100

    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    intro = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> TemplateVersion | None:
        return self.versions.order_by("-number").first()


class TemplateVersion(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    intro = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="survey_template_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"


class Question(models.Model):
    """Immutable once its version exists: answers point at the exact wording they answered."""

    class Kind(models.TextChoices):
        RATING = "rating", "Rating 1–5"
        YES_NO = "yes_no", "Yes / no"
        CHOICE = "choice", "Single choice"
        TEXT = "text", "Free text"

    TEXT_MAX_LENGTH = 200

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)  # the options of a single-choice question

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="survey_question_position_unique")
        ]

    def __str__(self) -> str:
        return self.text


class Programme(models.Model):
    class Kind(models.TextChoices):
        TRANSACTIONAL = "transactional", "Transactional (after an incident)"
        PERCEPTION = "perception", "Perception (periodic)"

    class Trigger(models.TextChoices):
        RESOLVED = "resolved", "When resolved"
        CLOSED = "closed", "When closed"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.TRANSACTIONAL)
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="programmes")
    is_active = models.BooleanField(default=True)
    published = models.BooleanField(
        default=False, help_text="Show this programme's anonymised results on the published page."
    )
    link_valid_days = models.PositiveSmallIntegerField(default=14)
    reminder_days_before_expiry = models.PositiveSmallIntegerField(
        default=3, help_text="One reminder this many days before the link expires (0: none)."
    )
    # Transactional: when, and to whom (an empty filter lets everyone through).
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.RESOLVED)
    sample_percent = models.PositiveSmallIntegerField(default=100)
    groups = models.ManyToManyField(SupportGroup, blank=True, related_name="+")
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    priorities = models.JSONField(default=list, blank=True)  # list of escalation.choices.Priority values
    departments = models.JSONField(
        default=list, blank=True
    )  # caller departments (escalation.CallerProfile.department)
    # Perception: an audience list sent every period between two dates.
    audience = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    period_days = models.PositiveSmallIntegerField(default=91)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    last_round_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="survey_programme_sample_percent_max_100"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def priority_labels(self) -> list[str]:
        return [Priority(p).label for p in self.priorities]


class Invitation(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="invitations")
    programme_version = models.PositiveIntegerField()
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    round = models.DateField(null=True, blank=True)  # a perception programme's round
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A redelivered event or a second resolution invites no one twice.
            models.UniqueConstraint(
                fields=["programme", "incident"],
                condition=Q(incident__isnull=False),
                name="survey_invitation_once_per_incident",
            ),
            models.UniqueConstraint(
                fields=["programme", "user", "round"],
                condition=Q(round__isnull=False),
                name="survey_invitation_once_per_round",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="survey_invitation_user_recent"),
            models.Index(fields=["programme", "created_at"], name="survey_invitation_programme"),
            models.Index(
                fields=["expires_at"],
                name="survey_invitation_open",
                condition=Q(answered_at__isnull=True, expired_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} → {self.user_id}"

    @property
    def status(self) -> str:
        if self.answered_at:
            return "answered"
        if self.expired_at or self.expires_at <= timezone.now():
            return "expired"
        return "open"


class InvitationToken(models.Model):
    """One link's token, kept only as its SHA-256: each mail (invitation, reminder) carries a fresh one.

    The raw token exists only in the mail being sent; all of an invitation's tokens answer the one
    invitation. Once it is answered a token still finds it, to say so kindly; expiry deletes them.
    """

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token of invitation {self.invitation_id}"


class SurveyMail(models.Model):
    """One mail about an invitation or an action: unique per subject and kind, so it goes once."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Reminder"
        ACTION_DUE = "action_due", "Improvement action due"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    action = models.ForeignKey(
        "ImprovementAction", null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    to = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "kind"],
                condition=Q(invitation__isnull=False),
                name="survey_mail_once_per_invitation",
            ),
            models.UniqueConstraint(
                fields=["action", "kind"],
                condition=Q(action__isnull=False),
                name="survey_mail_once_per_action",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="survey_mail_unsent", condition=Q(sent_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


class Response(models.Model):
    """One answered invitation; the one-to-one makes a second submission impossible to store."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"response to invitation {self.invitation_id}"


class Answer(models.Model):
    COMMENT_MAX_LENGTH = 2000

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    yes = models.BooleanField(null=True, blank=True)
    choice = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    publishable = models.BooleanField(
        default=False
    )  # a comment the incident manager allowed on the public page

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once_per_question"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"answer to question {self.question_id}"


class ImprovementAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    TITLE_MAX_LENGTH = 200

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="actions")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="survey_action_due")]

    def __str__(self) -> str:
        return self.title
