"""The import page (incident managers and administrators): upload, pick columns, dry run, import, progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services, sources
from .forms import MappingForm, UploadForm, initial_mapping
from .models import ImportRun

RUNS_LISTED = 50


def _runs(request: HttpRequest) -> Any:
    services.check_may_import(request.user)
    return ImportRun.objects.select_related("started_by")


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    runs = _runs(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.import_upload(
                actor=request.user,
                upload=form.cleaned_data["file"],
                source=form.cleaned_data["source"],
                mapping=form.cleaned_data["mapping_file"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("history:mapping", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "history/index.html", {"form": form, "runs": runs[:RUNS_LISTED]}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mapping_page(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(_runs(request), pk=pk, kind=ImportRun.Kind.CSV)
    try:
        services.check_file_kept(run)
        with run.file.open("rb") as binary:
            header = sources.csv_header(binary)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("history:index")
    except OSError:
        messages.error(request, _("The file of this import is no longer readable: upload it again."))
        return redirect("history:index")
    form = MappingForm(request.POST or None, header=header, initial=initial_mapping(header, run.mapping))
    if request.method == "POST" and form.is_valid():
        try:
            started = services.import_start(
                actor=request.user, run=run, mapping=form.mapping(), dry_run="import" not in request.POST
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("history:run", pk=started.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "history/mapping.html", {"run": run, "form": form, "header": header}, status=status
    )


@login_required
@require_GET
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(_runs(request), pk=pk)
    report = run.report or {}
    return render(
        request,
        "history/run.html",
        {
            "run": run,
            "reasons": sorted((report.get("reasons") or {}).items(), key=lambda kv: -kv[1]),
            "samples": report.get("samples") or [],
            "would_create": sorted((report.get("would_create") or {}).items()),
            "placeholder_callers": report.get("placeholder_callers") or 0,
            "comments": report.get("comments") or 0,
        },
    )


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the run page's script polls (``static/js/history.js``)."""
    run = get_object_or_404(_runs(request), pk=pk)
    return JsonResponse(
        {
            "state": run.state,
            "state_label": run.get_state_display(),
            "percent": run.percent,
            "processed": run.processed,
            "total": run.total_rows,
            "created": run.created,
            "unchanged": run.unchanged,
            "refused": run.refused,
            "finished": run.is_finished,
        }
    )


@login_required
@require_POST
def run_import(request: HttpRequest, pk: int) -> HttpResponse:
    """After a dry run: the real import, same file and mapping (a new run of the audit)."""
    run = get_object_or_404(_runs(request), pk=pk, kind=ImportRun.Kind.CSV)
    try:
        started = services.import_start(actor=request.user, run=run, mapping=run.mapping, dry_run=False)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("history:run", pk=run.pk)
    return redirect("history:run", pk=started.pk)
