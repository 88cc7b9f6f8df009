"""Knowledge pages: the staff workspace, the end-user article page, suggestions and incident links.

Every read goes through ``knowledge.selectors`` (end users only ever get published public
articles); every write through one service.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from escalation.access import access_of
from escalation.gates import staff_required
from incidents.selectors import incident_get_for_user

from . import forms, selectors
from .models import TRANSITIONS, Article, ArticleVersion, Status
from .services import articles as article_services

PAGE_SIZE = 50


class AuthedRequest(HttpRequest):
    """A request the gate let through: its user is signed in."""

    user: Any


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@staff_required(message=_("The knowledge base workspace is for staff."))
@require_GET
def article_list(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:500]
    status = request.GET.get("status", "")
    articles = list(selectors.articles_search(access=access_of(request), q=q, status=status)[:PAGE_SIZE])
    return render(
        request,
        "knowledge/article_list.html",
        {
            "articles": articles,
            "q": q,
            "status": status,
            "statuses": Status.choices,
            "stale_count": selectors.stale_articles().count()
            if access_of(request).is_incident_manager
            else None,
            "page_size": PAGE_SIZE,
        },
    )


@staff_required(message=_("Only staff write knowledge articles."))
def article_create(request: AuthedRequest) -> HttpResponse:
    form = forms.ArticleForm(
        request.POST or None, initial={"owner": request.user.pk, "visibility": "internal"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            article = article_services.article_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("%(number)s saved as a draft.") % {"number": article.number})
            return redirect("knowledge:article", number=article.number)
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def article_detail(request: AuthedRequest, number: str) -> HttpResponse:
    access = access_of(request)
    article = selectors.article_get_for_user(access=access, number=number)
    if not access.is_staff_member:
        return render(request, "knowledge/article_public.html", {"article": article})
    versions = list(article.versions.select_related("published_by").order_by("-number"))
    actions = [
        (name, t.label)
        for name, t in TRANSITIONS.items()
        if article.status in t.sources
        and (selectors.can_publish(access) if t.publisher_only else selectors.can_edit(access, article))
    ]
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "versions": versions,
            "usage": selectors.article_usage(article),
            **selectors.article_incidents(access=access, article=article),
            "events": list(article.events.select_related("actor").order_by("-at", "-id")[:20]),
            "actions": actions,
            "can_edit": selectors.can_edit(access, article),
            "languages": _languages(article),
        },
    )


def _languages(article: Article) -> dict[str, Any]:
    """Which languages the article exists in, and those an editor may still add."""
    names = dict(settings.LANGUAGES)
    found = selectors.article_languages(article)
    versions = [
        {
            "article": a,
            "name": names.get(a.language_code, a.language_code),
            "original": a.translation_of_id is None,
        }
        for a in found
    ]
    have = {a.language for a in found}
    missing = [(code, name) for code, name in article_services.translation_languages() if code not in have]
    return {"versions": versions, "missing": missing}


@staff_required
@require_POST
def article_translate(request: AuthedRequest, number: str) -> HttpResponse:
    """Add a translation: a draft copy of the original in the chosen language, opened for editing."""
    article = selectors.article_get_for_user(access=access_of(request), number=number)
    try:
        translation = article_services.article_translate(
            actor=request.user, article=article, language=request.POST.get("language", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("knowledge:article", number=article.number)
    return redirect("knowledge:article-edit", number=translation.number)


@staff_required
def article_edit(request: AuthedRequest, number: str) -> HttpResponse:
    article = selectors.article_get_for_user(access=access_of(request), number=number)
    if not selectors.can_edit(access_of(request), article):
        raise PermissionDenied(
            _("Only the author, the owner, a group lead or the incident manager edit this article.")
        )
    form = forms.ArticleForm(request.POST or None, initial=forms.article_initial(article))
    if request.method == "POST" and form.is_valid():
        try:
            article_services.article_update(actor=request.user, article=article, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(number)s saved.") % {"number": article.number})
            return redirect("knowledge:article", number=article.number)
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": article},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def article_transition(request: AuthedRequest, number: str, action: str) -> HttpResponse:
    article = selectors.article_get_for_user(access=access_of(request), number=number)
    if action not in TRANSITIONS:
        raise Http404(_("No such action."))
    try:
        article = article_services.article_transition(
            actor=request.user,
            article=article,
            action=action,
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("%(number)s: %(action)s done (%(status)s).")
            % {
                "number": article.number,
                "action": str(TRANSITIONS[action].label).lower(),
                "status": article.get_status_display().lower(),
            },
        )
    return redirect("knowledge:article", number=article.number)


@staff_required
@require_GET
def version_diff(request: AuthedRequest, number: str, version: int) -> HttpResponse:
    article = selectors.article_get_for_user(access=access_of(request), number=number)
    try:
        current = article.versions.select_related("published_by").get(number=version)
    except ArticleVersion.DoesNotExist:
        raise Http404(_("No such version.")) from None
    previous, table = article_services.version_diff(current)
    return render(
        request,
        "knowledge/version_diff.html",
        {"article": article, "version": current, "previous": previous, "diff_table": table},
    )


@staff_required
@require_GET
def stale_list(request: AuthedRequest) -> HttpResponse:
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("The list of stale articles is for the incident manager."))
    return render(request, "knowledge/stale_list.html", {"articles": list(selectors.stale_articles()[:200])})


# --- suggestions, self-solved reports, incident links -----------------------------------------------


@login_required
@require_GET
def suggest(request: AuthedRequest) -> HttpResponse:
    """An htmx fragment: published articles matching ``title``, ``description`` and/or ``q``.

    End users get public articles only, each with a link to read it and a "This solved it" button.
    """
    articles = selectors.suggestions_for(
        access=access_of(request),
        title=request.GET.get("title", ""),
        description=request.GET.get("description", ""),
        q=request.GET.get("q", ""),
    )
    staff = access_of(request).is_staff_member
    return render(request, "knowledge/_suggestions.html", {"articles": articles, "staff": staff})


@login_required
@require_POST
def self_solved(request: AuthedRequest, number: str) -> HttpResponse:
    article = selectors.article_get_for_user(access=access_of(request), number=number)
    try:
        article_services.self_solved_report(user=request.user, article=article)
    except PermissionDenied:
        raise Http404(_("No such article.")) from None
    text = "Thank you: glad it is solved. No incident was logged."
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/_self_solved.html", {"article": article, "text": text})
    messages.success(request, text)
    return redirect("knowledge:article", number=article.number)


@staff_required
@require_GET
def incident_panel(request: AuthedRequest, number: str) -> HttpResponse:
    incident = incident_get_for_user(access=access_of(request), number=number)
    links = list(selectors.articles_linked_to(incident.pk))
    linked = {link.article_id for link in links}
    q = request.GET.get("q", "")
    if q:
        found = list(selectors.articles_search(access=access_of(request), q=q, status=Status.PUBLISHED)[:5])
    else:
        found = selectors.suggestions_for(
            access=access_of(request), title=incident.title, description=incident.description
        )
    return render(
        request,
        "knowledge/_incident_panel.html",
        {
            "incident": incident,
            "links": links,
            "suggestions": [a for a in found if a.pk not in linked],
            "q": q,
            "can_promote": bool(incident.resolution_notes),
        },
    )


@staff_required
@require_POST
def incident_link(request: AuthedRequest, number: str) -> HttpResponse:
    incident = incident_get_for_user(access=access_of(request), number=number)
    try:
        article = selectors.article_get_for_user(
            access=access_of(request), number=request.POST.get("article", "")
        )
    except Http404:
        messages.error(request, _("Choose an article to link."))
        return redirect("incidents:detail", number=incident.number)
    try:
        article_services.article_link_incident(actor=request.user, article=article, incident=incident)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except (PermissionDenied, DomainError) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(number)s linked to %(number2)s.") % {"number": article.number, "number2": incident.number},
        )
    return redirect("incidents:detail", number=incident.number)


@staff_required
@require_POST
def incident_promote(request: AuthedRequest, number: str) -> HttpResponse:
    incident = incident_get_for_user(access=access_of(request), number=number)
    try:
        article = article_services.article_promote_from_incident(actor=request.user, incident=incident)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("incidents:detail", number=incident.number)
    except (PermissionDenied, DomainError) as error:
        messages.error(request, str(error))
        return redirect("incidents:detail", number=incident.number)
    messages.success(
        request,
        _("%(number)s drafted from %(number2)s: review it and submit it for review.")
        % {"number": article.number, "number2": incident.number},
    )
    return redirect("knowledge:article-edit", number=article.number)
