"""Satisfaction surveys (SPEC §9): versioned templates, programmes, one-time invitations, answers, actions.

Versioning: a template's questions belong to one ``TemplateVersion``; editing a template writes a new
version and never touches the questions (nor the answers) of an older one. A programme carries a
``version`` counter that each edit bumps, and every invitation records both versions it was sent under.

Languages: a version's questions are written in one language; an incident manager may add their wording in
other languages (``Question.translations``, ``TemplateVersion.intro_translations``). A translation is the
same question: answers point at the question whatever language was shown, so results add up across
languages, and each response records the language it was answered in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

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
    # {"de": "Einleitung", ...}: the introduction in other languages.
    intro_translations = models.JSONField(default=dict, blank=True)
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

    def intro_in(self, language: str) -> str:
        """The introduction in ``language`` where it was translated; as written otherwise."""
        if self.intro_translations.get(language):
            return str(self.intro_translations[language])
        with translation.override(language):
            return gettext(self.intro) if self.intro else ""


class Question(models.Model):
    """Immutable once its version exists: answers point at the exact wording they answered."""

    class Kind(models.TextChoices):
        RATING = "rating", gettext_lazy("Rating 1–5")
        YES_NO = "yes_no", gettext_lazy("Yes / no")
        CHOICE = "choice", gettext_lazy("Single choice")
        TEXT = "text", gettext_lazy("Free text")

    TEXT_MAX_LENGTH = 200

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)  # the options of a single-choice question
    # {"de": {"text": "...", "choices": ["...", ...]}, ...}: the same question in other languages; the
    # choices are labels of the original options, position for position (an answer stores the original).
    translations = models.JSONField(default=dict, blank=True)

    # Set by ``localise`` for the page being rendered; not stored.
    label: str
    options: list[tuple[str, str]]

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="survey_question_position_unique")
        ]

    def __str__(self) -> str:
        return self.text

    def localise(self, language: str) -> Question:
        """Set ``label`` and ``options`` (value, label) for a reader of ``language``, and return self.

        The incident manager's translation first; else the catalogues (the questions shipped with the demo
        are in them, read in the active language); else the wording as written. Option values stay the
        original ones, so answers aggregate whatever language was shown.
        """
        shown = self.translations.get(language) or {}
        labels = list(shown.get("choices") or [])
        with translation.override(language):
            self.label = shown.get("text") or (gettext(self.text) if self.text else self.text)
            self.options = [
                (value, (labels[i] if i < len(labels) and labels[i] else gettext(value)))
                for i, value in enumerate(self.choices)
            ]
        return self


class Programme(models.Model):
    class Kind(models.TextChoices):
        TRANSACTIONAL = "transactional", gettext_lazy("Transactional (after an incident)")
        PERCEPTION = "perception", gettext_lazy("Perception (periodic)")

    class Trigger(models.TextChoices):
        RESOLVED = "resolved", gettext_lazy("When resolved")
        CLOSED = "closed", gettext_lazy("When closed")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.TRANSACTIONAL)
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="programmes")
    is_active = models.BooleanField(default=True)
    published = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Show this programme's anonymised results on the published page."),
    )
    link_valid_days = models.PositiveSmallIntegerField(default=14)
    reminder_days_before_expiry = models.PositiveSmallIntegerField(
        default=3, help_text=gettext_lazy("One reminder this many days before the link expires (0: none).")
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
        return [str(Priority(p).label) for p in self.priorities]


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
        INVITATION = "invitation", gettext_lazy("Invitation")
        REMINDER = "reminder", gettext_lazy("Reminder")
        ACTION_DUE = "action_due", gettext_lazy("Improvement action due")

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
    language = models.CharField(max_length=10, blank=True)  # the language the questions were shown in

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
        OPEN = "open", gettext_lazy("Open")
        IN_PROGRESS = "in_progress", gettext_lazy("In progress")
        DONE = "done", gettext_lazy("Done")

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
