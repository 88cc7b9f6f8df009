"""The saved views' pages: the list with counts and the form that saves the queue's filters, and deletion."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from escalation.access import access_of
from escalation.gates import staff_required

from . import selectors, services
from .forms import SavedViewForm


def _page(request: HttpRequest, form: SavedViewForm, *, status: int = 200) -> HttpResponse:
    access = access_of(request)
    return render(
        request,
        "live/saved_views.html",
        {
            "views": selectors.views_with_counts(access),
            "form": form,
            "me": access.user_id,
            "is_incident_manager": access.is_incident_manager,
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def saved_views(request: HttpRequest) -> HttpResponse:
    access = access_of(request)
    if request.method == "GET":
        return _page(request, SavedViewForm(access=access, initial={"query": request.GET.get("query", "")}))
    form = SavedViewForm(request.POST, access=access)
    if form.is_valid():
        try:
            view = services.view_create(
                access=access,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                group=form.cleaned_data["group"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return HttpResponseRedirect(view.url)
    return _page(request, form, status=400)


@staff_required
@require_POST
def saved_view_delete(request: HttpRequest) -> HttpResponse:
    access = access_of(request)
    raw = request.POST.get("view", "")
    if not raw.isdigit() or len(raw) > 18:
        return _page(request, SavedViewForm(access=access), status=400)
    view = selectors.view_get_for_user(access=access, pk=int(raw))
    services.view_delete(access=access, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return HttpResponseRedirect("/live/views/")
