"""Knowledge articles (SPEC §10): content, versions, lifecycle, links to incidents; process quizzes."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from escalation.models import SupportGroup
from incidents.models import Category, Incident, Service


class Status(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    IN_REVIEW = "in_review", gettext_lazy("In review")
    PUBLISHED = "published", gettext_lazy("Published")
    RETIRED = "retired", gettext_lazy("Retired")


class Visibility(models.TextChoices):
    INTERNAL = "internal", gettext_lazy("Internal (staff only)")
    PUBLIC = "public", gettext_lazy("Public (end users too)")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    label: str
    publisher_only: bool


def _t(sources: tuple[str, ...], target: str, label: str, *, publisher_only: bool = False) -> Transition:
    return Transition(frozenset(sources), target, label, publisher_only)


# The one lifecycle table of an article. Publishers are the incident manager and group leads.
TRANSITIONS: dict[str, Transition] = {
    "submit": _t((Status.DRAFT,), Status.IN_REVIEW, "Submit for review"),
    "return": _t((Status.IN_REVIEW,), Status.DRAFT, "Return to draft", publisher_only=True),
    "publish": _t((Status.IN_REVIEW,), Status.PUBLISHED, "Publish", publisher_only=True),
    # A revision takes a published article back to draft; its published versions stay in the history.
    "revise": _t((Status.PUBLISHED,), Status.DRAFT, "Revise"),
    "retire": _t(
        (Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED), Status.RETIRED, "Retire", publisher_only=True
    ),
    "restore": _t((Status.RETIRED,), Status.DRAFT, "Restore as draft", publisher_only=True),
}
EDITABLE_STATUSES = (Status.DRAFT, Status.IN_REVIEW)
CONTENT_FIELDS = ("title", "symptoms", "cause", "workaround", "resolution")


class Article(models.Model):
    TITLE_MAX_LENGTH = 200
    TEXT_MAX_LENGTH = 50_000

    number = models.CharField(max_length=12, unique=True, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    symptoms = models.TextField(blank=True)
    cause = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField(gettext_lazy("next review date"), null=True, blank=True)
    # The review date the owner was told about: mail once per date (a new date may be flagged again).
    stale_notified_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    source_incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Languages: an original is written in the organisation's language (LANGUAGE_CODE, language "");
    # a translation is an article of its own (own number, lifecycle and review) pointing at its original.
    language = models.CharField(max_length=10, blank=True, default="")
    translation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="translations"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=Q(translation_of__isnull=False),
                name="kb_one_translation_per_language",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "visibility"], name="kb_article_status_visibility"),
            models.Index(fields=["-updated_at", "-id"], name="kb_article_updated"),
            models.Index(fields=["owner", "status"], name="kb_article_owner_status"),
            models.Index(fields=["review_on"], name="kb_article_review_due", condition=Q(status="published")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def is_stale(self) -> bool:
        return (
            self.status == Status.PUBLISHED
            and self.review_on is not None
            and self.review_on < timezone.localdate()
        )

    def allows(self, action: str) -> bool:
        return self.status in TRANSITIONS[action].sources

    @property
    def language_code(self) -> str:
        return self.language or settings.LANGUAGE_CODE

    @property
    def original_id(self) -> int:
        """The id its translations share: its own for an original, its original's for a translation."""
        return self.translation_of_id or self.pk


class ArticleVersion(models.Model):
    """A published version, kept for ever: each is compared with the one before it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=Article.TITLE_MAX_LENGTH)
    symptoms = models.TextField(blank=True)
    cause = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleEvent(models.Model):
    """The article's own log: transitions and edits, who and when."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["article", "at"], name="kb_event_article")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.action}"


class ArticleLink(models.Model):
    """An article used on an incident. Incidents resolved with an article are counted from these."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="links")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "incident"], name="kb_link_once"),
        ]
        indexes = [models.Index(fields=["incident"], name="kb_link_incident")]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.incident_id}"


class SelfSolvedReport(models.Model):
    """An end user answered "this solved it" on a suggested public article: no incident was logged."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="self_solved")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One person's repeated clicks on one day count once.
            models.UniqueConstraint(fields=["article", "user", "day"], name="kb_self_solved_once_a_day"),
        ]
        indexes = [models.Index(fields=["created_at"], name="kb_self_solved_created")]

    def __str__(self) -> str:
        return f"{self.article_id} solved {self.user_id} {self.day}"


# --- process quizzes -----------------------------------------------------------------------------


class Topic(models.TextChoices):
    PRIORITIES = "priorities", gettext_lazy("Priorities")
    REGISTER = "register", gettext_lazy("The escalation register")
    SLA = "sla", gettext_lazy("SLA rules")
    WHEN_TO_ESCALATE = "when_to_escalate", gettext_lazy("When to escalate")
    MAJOR_INCIDENTS = "major_incidents", gettext_lazy("Major incidents")


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", gettext_lazy("Single choice")
        MULTIPLE = "multiple", gettext_lazy("Multiple choice")

    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    explanation = models.TextField(blank=True)
    topic = models.CharField(max_length=20, choices=Topic.choices)
    is_active = models.BooleanField(default=True)
    # Set on questions generated from the product's configuration (``knowledge.generated``).
    generated_key = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["topic", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["generated_key"], condition=~Q(generated_key=""), name="kb_question_generated_once"
            ),
        ]
        indexes = [models.Index(fields=["topic", "is_active"], name="kb_question_topic")]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Quiz(models.Model):
    class Mode(models.TextChoices):
        FIXED = "fixed", gettext_lazy("Fixed questions")
        RANDOM = "random", gettext_lazy("Random questions per attempt")

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.FIXED)
    questions: models.ManyToManyField[Question, Question] = models.ManyToManyField(
        Question, blank=True, related_name="quizzes"
    )
    # Random mode: how many questions an attempt draws, from these topics (empty: all).
    question_count = models.PositiveSmallIntegerField(default=10)
    topics = models.JSONField(default=list, blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    is_current = models.BooleanField(default=False)
    # The quiz built from the product's configuration: its questions follow the configuration.
    is_generated = models.BooleanField(default=False)
    config_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = gettext_lazy("quizzes")
        ordering = ["-is_current", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="kb_one_current_quiz"
            ),
        ]

    def __str__(self) -> str:
        return self.shown_title

    # A generated quiz's title and description are the product's wording (``generated.py``), stored in
    # English and translated when shown, as its questions are; a title an incident manager wrote (no
    # catalogue entry) reads as written.
    @property
    def shown_title(self) -> str:
        return gettext(self.title) if self.is_generated and self.title else self.title

    @property
    def shown_description(self) -> str:
        return gettext(self.description) if self.is_generated and self.description else self.description


class QuizAssignment(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="assignments")
    group = models.ForeignKey(SupportGroup, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["quiz", "group"], name="kb_assignment_once")]
        indexes = [models.Index(fields=["due_on"], name="kb_assignment_due")]

    def __str__(self) -> str:
        return f"{self.quiz_id} → {self.group_id} by {self.due_on}"


class QuizReminder(models.Model):
    """The sent-once record of one reminder: the unique key is the guard."""

    assignment = models.ForeignKey(QuizAssignment, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "user"], name="kb_reminder_once")]

    def __str__(self) -> str:
        return f"{self.assignment_id} → {self.user_id}"


class Attempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The person's support group when they started: group scores over time read this.
    group = models.ForeignKey(
        SupportGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question_ids = models.JSONField(default=list)
    started_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    expired = models.BooleanField(default=False)
    score = models.PositiveSmallIntegerField(default=0)
    max_score = models.PositiveSmallIntegerField(default=0)
    # What the person saw and answered, with the answers and explanations, frozen at submission:
    # a later change of the bank does not rewrite past feedback.
    feedback = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["quiz", "user", "submitted_at"], name="kb_attempt_quiz_user"),
            models.Index(fields=["submitted_at"], name="kb_attempt_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.quiz_id}"

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.max_score) if self.max_score else 0
