"""Articles: drafting, the lifecycle, published versions, links to incidents, self-solved reports."""

from __future__ import annotations

import difflib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from escalation.access import access_for
from incidents.models import Category, Counter, Incident, Service
from incidents.permissions import is_restricted
from incidents.records.services.collaboration import incident_knowledge_linked
from incidents.records.services.common import check_text

from ..errors import ArticleTransitionNotAllowed
from ..models import (
    CONTENT_FIELDS,
    EDITABLE_STATUSES,
    TRANSITIONS,
    Article,
    ArticleEvent,
    ArticleLink,
    ArticleVersion,
    SelfSolvedReport,
    Status,
    Visibility,
)
from ..selectors import can_edit, can_publish

if TYPE_CHECKING:
    from django.contrib.auth.models import User

COUNTER = "knowledge_article"


def _next_number() -> str:
    Counter.objects.get_or_create(name=COUNTER, defaults={"value": 0})
    Counter.objects.filter(name=COUNTER).update(value=F("value") + 1)
    return f"KB{Counter.objects.get(name=COUNTER).value:05d}"


def _clean_content(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in data:
        title = check_text("title", data["title"], max_length=Article.TITLE_MAX_LENGTH, required=True).strip()
        out["title"] = title
    for name in ("symptoms", "cause", "workaround", "resolution"):
        if name in data:
            out[name] = check_text(name, data[name], max_length=Article.TEXT_MAX_LENGTH)
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            raise ValidationError({"visibility": _("Choose internal or public.")})
        out["visibility"] = data["visibility"]
    if "category" in data:
        if data["category"] is not None and not isinstance(data["category"], Category):
            raise ValidationError({"category": _("Choose a category.")})
        out["category"] = data["category"]
    if "service" in data:
        if data["service"] is not None and not isinstance(data["service"], Service):
            raise ValidationError({"service": _("Choose a service.")})
        out["service"] = data["service"]
    if "review_on" in data:
        if data["review_on"] is not None and not isinstance(data["review_on"], date):
            raise ValidationError({"review_on": _("Enter a date.")})
        out["review_on"] = data["review_on"]
    if "owner" in data:
        if data["owner"] is None or not access_for(data["owner"]).is_staff_member:
            raise ValidationError({"owner": _("The owner must be a staff member.")})
        out["owner"] = data["owner"]
    return out


@transaction.atomic
def article_create(
    *,
    actor: User,
    title: str,
    symptoms: str = "",
    cause: str = "",
    workaround: str = "",
    resolution: str = "",
    visibility: str = Visibility.INTERNAL,
    category: Category | None = None,
    service: Service | None = None,
    owner: User | None = None,
    review_on: date | None = None,
    source_incident: Incident | None = None,
    now: datetime | None = None,
) -> Article:
    """A new draft written by ``actor`` (any staff member), owned by ``owner`` (default: the author)."""
    if not access_for(actor).is_staff_member:
        raise PermissionDenied(_("Only staff write knowledge articles."))
    now = now or timezone.now()
    fields = _clean_content(
        {
            "title": title,
            "symptoms": symptoms,
            "cause": cause,
            "workaround": workaround,
            "resolution": resolution,
            "visibility": visibility,
            "category": category,
            "service": service,
            "review_on": review_on,
            "owner": owner or actor,
        }
    )
    article = Article.objects.create(
        number=_next_number(),
        author=actor,
        created_at=now,
        updated_at=now,
        source_incident=source_incident,
        **fields,
    )
    ArticleEvent.objects.create(article=article, action="created", actor=actor, at=now)
    return article


@transaction.atomic
def article_update(
    *, actor: User, article: Article, data: dict[str, Any], now: datetime | None = None
) -> Article:
    """Edit a draft or an article in review. A published article is revised first (back to draft)."""
    now = now or timezone.now()
    access = access_for(actor)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not can_edit(access, locked):
        raise PermissionDenied(
            _("Only the author, the owner, a group lead or the incident manager edit this article.")
        )
    fields = _clean_content(data)
    content_changed = any(getattr(locked, k) != v for k, v in fields.items() if k in CONTENT_FIELDS)
    if content_changed and locked.status not in EDITABLE_STATUSES:
        raise ArticleTransitionNotAllowed(
            _("%(number)s is %(status)s: revise it before changing its text.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    if (
        locked.status == Status.PUBLISHED
        and fields.get("visibility", locked.visibility) != locked.visibility
        and not can_publish(access)
    ):
        raise PermissionDenied(
            _("Only the incident manager or a group lead changes who may read a published article.")
        )
    for key, value in fields.items():
        setattr(locked, key, value)
    if "review_on" in fields:
        locked.stale_notified_for = None
    locked.updated_at = now
    locked.save()
    ArticleEvent.objects.create(article=locked, action="edited", actor=actor, at=now)
    return locked


@transaction.atomic
def article_transition(
    *, actor: User, article: Article, action: str, note: str = "", now: datetime | None = None
) -> Article:
    """Move the article along ``TRANSITIONS``; publishing keeps a new version."""
    now = now or timezone.now()
    if action not in TRANSITIONS:
        raise ValidationError({"action": _("“%(action)s” is not an article action.") % {"action": action}})
    transition = TRANSITIONS[action]
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status not in transition.sources:
        raise ArticleTransitionNotAllowed(
            _("%(number)s is %(status)s: it cannot be “%(action)s” from there.")
            % {
                "number": locked.number,
                "status": locked.get_status_display().lower(),
                "action": str(transition.label).lower(),
            }
        )
    access = access_for(actor)
    if transition.publisher_only and not can_publish(access):
        raise PermissionDenied(_("Only the incident manager or a group lead may do that."))
    if not transition.publisher_only and not can_edit(access, locked):
        raise PermissionDenied(
            _("Only the author, the owner, a group lead or the incident manager may do that.")
        )
    locked.status = transition.target
    locked.updated_at = now
    if action == "publish":
        locked.published_at = now
        _keep_version(locked, actor=actor, now=now)
    locked.save(update_fields=["status", "updated_at", "published_at"])
    ArticleEvent.objects.create(
        article=locked, action=action, actor=actor, at=now, note=check_text("note", note, max_length=2000)
    )
    return locked


def _keep_version(article: Article, *, actor: User, now: datetime) -> ArticleVersion:
    last = article.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleVersion.objects.create(
        article=article,
        number=last + 1,
        visibility=article.visibility,
        published_by=actor,
        published_at=now,
        **{name: getattr(article, name) for name in CONTENT_FIELDS},
    )


def version_diff(version: ArticleVersion) -> tuple[ArticleVersion | None, str]:
    """The version before ``version`` and an HTML side-by-side diff of the two (escaped text)."""
    previous = (
        ArticleVersion.objects.filter(article_id=version.article_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )

    def lines(v: ArticleVersion | None) -> list[str]:
        if v is None:
            return []
        out: list[str] = []
        for name in CONTENT_FIELDS:
            out.append(f"## {name.capitalize()}")
            out.extend((getattr(v, name) or "").splitlines())
        return out

    # HtmlDiff escapes the text it shows, so article text cannot inject markup here.
    table = difflib.HtmlDiff(wrapcolumn=60).make_table(
        lines(previous),
        lines(version),
        fromdesc=escape(f"v{previous.number}") if previous else "(none)",
        todesc=escape(f"v{version.number}"),
        context=True,
        numlines=2,
    )
    return previous, table


@transaction.atomic
def article_link_incident(
    *, actor: User, article: Article, incident: Incident, now: datetime | None = None
) -> ArticleLink:
    """Link an article to an incident in one click; the incident's timeline logs it once."""
    now = now or timezone.now()
    if article.status == Status.RETIRED:
        raise ValidationError(
            {"article": _("%(number)s is retired; link a current article.") % {"number": article.number}}
        )
    existing = ArticleLink.objects.filter(article=article, incident=incident).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            link = ArticleLink.objects.create(
                article=article, incident=incident, linked_by=actor, linked_at=now
            )
    except IntegrityError:  # a second click that raced the first
        return ArticleLink.objects.get(article=article, incident=incident)
    incident_knowledge_linked(
        actor=actor,
        incident=incident,
        reference=article.number,
        title=f"{article.number} {article.title}",
        now=now,
    )
    return link


@transaction.atomic
def article_promote_from_incident(*, actor: User, incident: Incident, now: datetime | None = None) -> Article:
    """A draft prefilled from a resolved incident (title, description as symptoms, resolution),
    linked to it."""
    if not incident.resolution_notes:
        raise ValidationError(
            {"incident": _("%(number)s has no resolution to promote yet.") % {"number": incident.number}}
        )
    if is_restricted(incident):
        # Every member of staff reads drafts: a restricted incident's text would reach them all.
        raise ValidationError(
            {
                "incident": _(
                    "%(number)s is restricted: it is not copied into an article, which all staff "
                    "read. Write the article by hand, without what is confidential."
                )
                % {"number": incident.number}
            }
        )
    now = now or timezone.now()
    article = article_create(
        actor=actor,
        title=incident.title,
        symptoms=incident.description,
        resolution=incident.resolution_notes,
        workaround=incident.resolution_notes if incident.resolution_code == "workaround" else "",
        category=incident.category,
        service=incident.service,
        source_incident=incident,
        now=now,
    )
    article_link_incident(actor=actor, article=article, incident=incident, now=now)
    return article


def self_solved_report(*, user: Any, article: Article, now: datetime | None = None) -> bool:
    """Count "this solved it" once a day per person and article; only a published public article counts."""
    if article.status != Status.PUBLISHED or (
        article.visibility != Visibility.PUBLIC and not access_for(user).is_staff_member
    ):
        raise PermissionDenied(_("This article cannot be reported as a solution."))
    now = now or timezone.now()
    _report, created = SelfSolvedReport.objects.get_or_create(
        # The organisation's day, whoever reads the page in whatever zone.
        article=article,
        user=user,
        day=timezone.localdate(now, timezone.get_default_timezone()),
        defaults={"created_at": now},
    )
    return created


def translation_languages() -> list[tuple[str, str]]:
    """The languages an article can be translated into: every shipped one but the organisation's."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@transaction.atomic
def article_translate(
    *, actor: User, article: Article, language: str, now: datetime | None = None
) -> Article:
    """A draft translation of ``article`` (of its original, if it is itself one) into ``language``.

    The translation starts as a copy of the original's text for the translator to rewrite, and goes
    through review and publication like any article; it keeps the original's visibility and catalogue.
    Asking again for a language that exists returns the existing translation.
    """
    if not can_edit(access_for(actor), article):
        raise PermissionDenied(_("You may not edit this article."))
    if language not in dict(translation_languages()):
        raise ValidationError(_("Articles cannot be translated into this language."))
    original = Article.objects.select_for_update().get(pk=article.original_id)
    existing = original.translations.filter(language=language).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    translation = Article.objects.create(
        number=_next_number(),
        title=original.title,
        symptoms=original.symptoms,
        cause=original.cause,
        workaround=original.workaround,
        resolution=original.resolution,
        category=original.category,
        service=original.service,
        visibility=original.visibility,
        review_on=original.review_on,
        author=actor,
        owner=actor,
        created_at=now,
        updated_at=now,
        language=language,
        translation_of=original,
    )
    ArticleEvent.objects.create(article=translation, action="created", actor=actor, at=now)
    ArticleEvent.objects.create(
        article=original, action="translated", actor=actor, at=now, note=f"{language}: {translation.number}"
    )
    return translation
