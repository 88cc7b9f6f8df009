"""The writes of an import: a run is recorded (the audit), then executed by a task or the command."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import IO, Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import queueing
from escalation.access import access_for

from . import sources
from .importer import Importer, Outcome, RowRefused
from .mapping import Mapping, mapping_from_dict
from .models import ImportRun

log = logging.getLogger(__name__)

IMPORT_TASK = "history.tasks.import_run_task"
UPLOAD_MAX_BYTES = 2 * 1024**3  # 2 GiB: far above a million rows


def check_may_import(actor: Any) -> None:
    if actor is None or not access_for(actor).is_incident_manager:
        raise PermissionDenied(_("Importing history is for incident managers and administrators."))


def check_source(source: str) -> str:
    source = (source or "").strip()
    if not source:
        raise ValidationError({"source": _("Name the tool the history comes from.")})
    if len(source) > ImportRun.SOURCE_MAX_LENGTH:
        raise ValidationError(
            {"source": _("At most %(max)s characters are allowed.") % {"max": ImportRun.SOURCE_MAX_LENGTH}}
        )
    return source


def import_upload(
    *, actor: Any, upload: UploadedFile, source: str, mapping: dict[str, Any] | None
) -> ImportRun:
    """Keep an uploaded CSV file for an import; its mapping is chosen next (or given now)."""
    check_may_import(actor)
    source = check_source(source)
    if upload.size and upload.size > UPLOAD_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 2 GiB: import it with the command.")})
    header = sources.csv_header(cast(IO[bytes], upload.file))
    name = (upload.name or "upload.csv")[:255]
    run = ImportRun(kind=ImportRun.Kind.CSV, source=source, original_name=name, started_by=actor)
    if mapping:
        checked = mapping_from_dict(mapping)
        sources.check_columns(checked, header)
        run.mapping = checked.as_dict()
    run.file.save(f"{timezone.now():%Y%m%d%H%M%S}.csv", upload.file, save=False)
    run.save()
    log.info("history import %s: %s uploaded %s for %s", run.pk, actor, run.original_name, source)
    return run


def import_start(*, actor: Any, run: ImportRun, mapping: dict[str, Any], dry_run: bool) -> ImportRun:
    """Queue a run of the upload with this mapping: a dry run first, a real one after. A run already
    done is never run again: a new run (the audit's next row) reuses its file."""
    check_may_import(actor)
    check_file_kept(run)
    checked = mapping_from_dict(mapping)
    with run.file.open("rb") as binary:
        sources.check_columns(checked, sources.csv_header(binary))
    if run.state != ImportRun.State.DRAFT:
        run = ImportRun(kind=run.kind, source=run.source, file=run.file.name, original_name=run.original_name)
    run.mapping = checked.as_dict()
    run.dry_run = dry_run
    run.started_by = actor
    run.state = ImportRun.State.QUEUED
    run.created_at = timezone.now()
    run.save()
    log.info("history import %s queued by %s (dry run: %s)", run.pk, actor, dry_run)
    queueing.enqueue_on_commit(IMPORT_TASK, run.pk)
    return run


def check_file_kept(run: ImportRun) -> None:
    """The run's upload is still there (retention removes it after HISTORY_UPLOAD_RETENTION_DAYS)."""
    if not run.file:
        raise ValidationError(
            _("The file of this import was removed by retention after %(days)s days: upload it again.")
            % {"days": settings.HISTORY_UPLOAD_RETENTION_DAYS}
        )


def import_uploads_purge(*, before: datetime) -> int:
    """Remove the uploaded files no run has used since ``before`` (the nightly retention task's step, with
    ``HISTORY_UPLOAD_RETENTION_DAYS``); returns how many. A file is shared by the dry run and the real
    run started from it: it goes when the last of them is older, and never while one is queued or running.
    The runs stay, with the file's original name, their counts and reports, and the time it went."""
    in_use = ImportRun.objects.exclude(file="").filter(
        Q(created_at__gte=before) | Q(state__in=(ImportRun.State.QUEUED, ImportRun.State.RUNNING))
    )
    names = list(
        ImportRun.objects.exclude(file="")
        .filter(created_at__lt=before)
        .exclude(file__in=in_use.values("file"))
        .order_by()  # distinct names: the runs' ordering would list a shared file once per run
        .values_list("file", flat=True)
        .distinct()
    )
    now = timezone.now()
    for name in names:
        default_storage.delete(name)  # a file already gone is no error
        ImportRun.objects.filter(file=name).update(file="", file_removed_at=now)
    if names:
        log.info("history: removed %d uploaded files last used before %s", len(names), before.isoformat())
    return len(names)


def check_columns_of(run: ImportRun) -> None:
    """The run's mapping names only columns its file has."""
    with run.file.open("rb") as binary:
        sources.check_columns(mapping_from_dict(run.mapping), sources.csv_header(binary))


def _progress(run: ImportRun) -> Any:
    def save(outcome: Outcome) -> None:
        ImportRun.objects.filter(pk=run.pk).update(
            processed=outcome.processed,
            created=outcome.created,
            unchanged=outcome.unchanged,
            refused=outcome.refused,
        )

    return save


def import_execute(run: ImportRun, *, helpdesk: str = "") -> ImportRun:
    """Run an import to its end (the task's and the command's body). Each batch commits on its own;
    a failure is kept on the run with what was done before it."""
    run.state = ImportRun.State.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["state", "started_at"])
    mapping: Mapping = mapping_from_dict(run.mapping or sources.HELPDESK_MAPPING)
    importer = Importer(source=run.source, mapping=mapping, dry_run=run.dry_run, progress=_progress(run))
    try:
        if run.kind == ImportRun.Kind.HELPDESK:
            with sources.helpdesk_connection(helpdesk) as conn:
                run.total_rows = sources.helpdesk_count(conn)
                run.save(update_fields=["total_rows"])
                importer.run(sources.helpdesk_rows(conn))
        else:
            with run.file.open("rb") as binary:
                run.total_rows = sources.count_lines(binary)
                run.save(update_fields=["total_rows"])
                importer.run(sources.csv_rows(binary, mapping))
    except (ValidationError, RowRefused) as error:
        run.state = ImportRun.State.FAILED
        run.error = "; ".join(error.messages) if isinstance(error, ValidationError) else error.detail
    except Exception as error:
        log.exception("history import %s failed", run.pk)
        run.state = ImportRun.State.FAILED
        run.error = _(
            "The import stopped on an unexpected error (%(kind)s); the batches before it are kept."
        ) % {"kind": type(error).__name__}
    else:
        run.state = ImportRun.State.DONE
    outcome = importer.outcome
    run.processed, run.created, run.unchanged, run.refused = (
        outcome.processed,
        outcome.created,
        outcome.unchanged,
        outcome.refused,
    )
    run.report = outcome.report()
    run.finished_at = timezone.now()
    run.save()
    log.info(
        "history import %s %s: %s rows, %s created, %s unchanged, %s refused (dry run: %s)",
        run.pk,
        run.state,
        run.processed,
        run.created,
        run.unchanged,
        run.refused,
        run.dry_run,
    )
    return run


def import_helpdesk(*, actor: Any, target: str, source: str, dry_run: bool) -> ImportRun:
    """An import from django-helpdesk's database (the command's ``--helpdesk``)."""
    run = ImportRun.objects.create(
        kind=ImportRun.Kind.HELPDESK,
        source=check_source(source),
        original_name=target.rsplit("@", 1)[-1][:255],  # never the password of a URL
        dry_run=dry_run,
        started_by=actor,
        state=ImportRun.State.QUEUED,
    )
    return import_execute(run, helpdesk=target)
