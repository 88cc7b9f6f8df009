"""Survey pages: answering (no sign-in needed with a link), results, the published page, configuration."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from escalation.access import access_of

from . import selectors, services
from .forms import (
    ActionForm,
    ProgrammeForm,
    QuestionFormSet,
    TemplateForm,
    TranslationForm,
    question_initial,
)
from .models import Answer, ImprovementAction, Invitation, Programme, Question, SurveyTemplate

# same-origin, not no-referrer: with no-referrer Chromium posts the form with `Origin: null`, which
# CSRF refuses; same-origin still keeps the token out of Referer headers to other sites.
NO_REFERRER = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def _private(response: HttpResponse) -> HttpResponse:
    """Pages reached by a token: no Referer carries it elsewhere, no cache keeps the page."""
    for name, value in NO_REFERRER.items():
        response.headers[name] = value
    return response


def _link_problem(request: HttpRequest, error: services.LinkError) -> HttpResponse:
    answered = isinstance(error, services.AlreadyAnswered)
    return _private(
        render(
            request,
            "surveys/answer_closed.html",
            {"message": error.message, "answered": answered},
            status=error.status_code,
        )
    )


def _answer_page(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    # In the invited caller's language (chosen; else the browser's; else the organisation's), even from a
    # link opened without signing in; each question in that language where it was translated.
    language = selectors.survey_language(invitation.user, browser=_browser_language(request))
    questions = [q.localise(language) for q in selectors.questions_of(invitation)]
    errors: dict[int, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        submission = services.submission_parse(questions, request.POST)
        values = {k: str(v) for k, v in request.POST.items() if k.startswith("q")}
        if not submission.errors:
            try:
                services.response_submit(invitation=invitation, submission=submission, language=language)
            except services.LinkError as error:
                return _link_problem(request, error)
            return redirect("surveys:thanks")
        errors = submission.errors
    rows = [{"q": q, "error": errors.get(q.pk), "value": values.get(f"q{q.pk}", "")} for q in questions]
    with translation.override(language):
        return _private(
            render(
                request,
                "surveys/answer.html",
                {
                    "invitation": invitation,
                    "intro": invitation.template_version.intro_in(language),
                    "rows": rows,
                    "errors": bool(errors),
                },
                status=400 if errors else 200,
            )
        )


def _browser_language(request: HttpRequest) -> str:
    """The supported language this request's browser asks for, or "" when it asks for none we ship."""
    for item in request.headers.get("Accept-Language", "").split(","):
        tag = item.split(";")[0].strip()
        if not tag or tag == "*":
            continue
        try:
            return translation.get_supported_language_variant(tag)
        except LookupError:
            continue
    return ""


def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the mail: answerable without signing in; the token is the credential."""
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkError as error:
        return _link_problem(request, error)
    return _answer_page(request, invitation)


@login_required
def answer_mine(request: HttpRequest, pk: int) -> HttpResponse:
    """The same form for a signed-in caller (the portal's prompt): their own invitation only."""
    invitation = selectors.invitation_for_user(user=request.user, pk=pk)
    try:
        services.invitation_open_check(invitation)
    except services.LinkError as error:
        return _link_problem(request, error)
    return _answer_page(request, invitation)


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html")


# --- results -----------------------------------------------------------------------------------


def _chart(chart_id: str, label: str, rows: list[dict[str, Any]], value: str = "count") -> dict[str, Any]:
    return {
        "id": chart_id,
        "label": label,
        "rows": rows,
        "value": value,
        "data": {"labels": [r["label"] for r in rows], "values": [r[value] for r in rows], "label": label},
    }


@login_required
def results_index(request: HttpRequest) -> HttpResponse:
    overview = selectors.programmes_overview(access=access_of(request))
    return render(request, "surveys/results_index.html", {"overview": overview, "tab": "results"})


@login_required
def results_detail(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.results_gate(access_of(request))
    programme = get_object_or_404(Programme.objects.select_related("template"), pk=pk)
    results = selectors.programme_results(access=access_of(request), programme=programme)
    results["charts"] = [
        _chart("distribution", "Ratings (all rating questions)", results["distribution"]),
        _chart("monthly", "Mean rating per month", results["monthly"], value="mean"),
    ]
    results["can_configure"] = selectors.can_configure(access_of(request))
    results["tab"] = "results"
    return render(request, "surveys/results_detail.html", results)


@login_required
@require_POST
def comment_publish(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.configure_gate(access_of(request))
    answer = get_object_or_404(Answer.objects.select_related("response__invitation"), pk=pk)
    publishable = request.POST.get("publishable") == "1"
    try:
        services.answer_publish(actor=request.user, answer=answer, publishable=publishable)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Comment published.") if publishable else _("Comment withdrawn from the published page."),
        )
    return redirect("surveys:results-detail", pk=answer.response.invitation.programme_id)


@login_required
def published(request: HttpRequest) -> HttpResponse:
    results = selectors.published_results(access=access_of(request))
    for r in results:
        r["charts"] = (
            [_chart(f"pub-{r['programme'].pk}", "Ratings", r["distribution"])] if r["enough"] else []
        )
    return render(request, "surveys/published.html", {"results": results})


# --- configuration -----------------------------------------------------------------------------


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    selectors.configure_gate(access_of(request))
    templates = SurveyTemplate.objects.annotate(n_versions=Count("versions")).order_by("name")
    return render(request, "surveys/template_list.html", {"templates": templates, "tab": "templates"})


def _preview_rows(formset: Any) -> list[dict[str, Any]]:
    rows = []
    for i, form in enumerate(formset.forms):
        if not form.is_valid():
            continue
        spec = form.spec()
        if spec is None:
            continue
        q = Question(
            pk=-(i + 1), kind=spec.kind, text=spec.text, required=spec.required, choices=list(spec.choices)
        ).localise(translation.get_language())
        rows.append({"q": q, "error": None, "value": ""})
    return rows


@login_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    selectors.configure_gate(access_of(request))
    template = get_object_or_404(SurveyTemplate, pk=pk) if pk else None
    if request.method == "POST":
        form = TemplateForm(request.POST, instance=template)
        formset = QuestionFormSet(request.POST, prefix="questions")
        if form.is_valid() and formset.is_valid():
            specs = [s for s in (f.spec() for f in formset.forms) if s is not None]
            try:
                saved = services.template_save(
                    actor=request.user,
                    template=template,
                    name=form.cleaned_data["name"],
                    intro=form.cleaned_data["intro"],
                    questions=specs,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                version = saved.current_version()
                messages.success(
                    request,
                    _("Template “%(name)s” saved as version %(version)s.")
                    % {"name": saved.name, "version": version.number if version else 1},
                )
                return redirect("surveys:templates")
        status = 400
    else:
        form = TemplateForm(
            instance=template, initial={"name": template.name, "intro": template.intro} if template else None
        )
        formset = QuestionFormSet(prefix="questions", initial=question_initial(template))
        status = 200
    context = {
        "form": form,
        "formset": formset,
        "template_obj": template,
        "preview_rows": _preview_rows(formset) if request.method == "POST" else _initial_rows(template),
        "tab": "templates",
        "languages": _translation_status(template),
    }
    return render(request, "surveys/template_edit.html", context, status=status)


def _initial_rows(template: SurveyTemplate | None) -> list[dict[str, Any]]:
    version = template.current_version() if template else None
    language = translation.get_language()
    return (
        [{"q": q.localise(language), "error": None, "value": ""} for q in version.questions.all()]
        if version
        else []
    )


def _translation_status(template: SurveyTemplate | None) -> list[dict[str, Any]]:
    """Each language the current version can be shown in, and whether every question has its wording."""
    version = template.current_version() if template else None
    if version is None:
        return []
    questions = list(version.questions.all())
    return [
        {
            "code": code,
            "name": name,
            # worded by the incident manager, or shipped in the catalogues (the demo's questions)
            "done": sum(1 for q in questions if q.localise(code).label != q.text),
            "total": len(questions),
        }
        for code, name in services.translation_languages()
    ]


@login_required
def template_translate(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """The current version's wording in another language (the incident manager's page)."""
    selectors.configure_gate(access_of(request))
    template = get_object_or_404(SurveyTemplate, pk=pk)
    version = template.current_version()
    names = dict(services.translation_languages())
    if version is None or language not in names:
        raise Http404(_("No such translation."))
    form = TranslationForm(request.POST or None, version=version, language=language)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.version_translate(
                    actor=request.user,
                    version=version,
                    language=language,
                    intro=form.cleaned_data["intro"],
                    questions=form.translations(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("The %(language)s wording of “%(name)s” is saved.")
                    % {"language": names[language], "name": template.name},
                )
                return redirect("surveys:template-edit", pk=template.pk)
        status = 400
    rows = [{"q": q.localise(language), "error": None, "value": ""} for q in version.questions.all()]
    with translation.override(language):
        preview = render_to_string(
            "surveys/_preview.html", {"preview_rows": rows, "intro": version.intro_in(language)}
        )
    context = {
        "form": form,
        "template_obj": template,
        "version": version,
        "language": language,
        "language_name": names[language],
        "preview": preview,
        "tab": "templates",
    }
    return render(request, "surveys/template_translate.html", context, status=status)


@login_required
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the answering form as a caller would see it, from the editor's unsaved fields."""
    selectors.configure_gate(access_of(request))
    formset = QuestionFormSet(request.POST, prefix="questions")
    formset.is_valid()
    return render(
        request,
        "surveys/_preview.html",
        {"preview_rows": _preview_rows(formset), "intro": request.POST.get("intro", "")},
    )


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    selectors.configure_gate(access_of(request))
    programmes = Programme.objects.select_related("template").prefetch_related(
        "groups", "categories", "services"
    )
    return render(request, "surveys/programme_list.html", {"programmes": programmes, "tab": "programmes"})


@login_required
def programme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    selectors.configure_gate(access_of(request))
    programme = get_object_or_404(Programme, pk=pk) if pk else None
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        saved = services.programme_save(actor=request.user, form=form)
        messages.success(
            request,
            _("Programme “%(name)s” saved (version %(version)s).")
            % {"name": saved.name, "version": saved.version},
        )
        return redirect("surveys:programmes")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "surveys/programme_edit.html",
        {"form": form, "programme": programme, "tab": "programmes"},
        status=status,
    )


@login_required
def action_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    selectors.results_gate(access_of(request))
    action = get_object_or_404(ImprovementAction, pk=pk) if pk else None
    initial = {"programme": request.GET.get("programme")} if action is None else None
    form = ActionForm(request.POST or None, instance=action, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = services.action_save(actor=request.user, form=form)
        messages.success(request, _("Improvement action “%(title)s” saved.") % {"title": saved.title})
        return redirect("surveys:results-detail", pk=saved.programme_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "surveys/action_edit.html", {"form": form, "action": action, "tab": "results"}, status=status
    )
