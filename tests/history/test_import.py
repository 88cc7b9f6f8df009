"""The import service: mapping, dry run, idempotency, refusals, read-only history (issue 24 §4)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from history import services
from history.mapping import mapping_from_text
from history.models import ImportRun
from history.tasks import import_run_task
from incidents.errors import ImportedReadOnly
from incidents.models import Category, Incident, IncidentEvent, Service
from incidents.services import incident_comment, incident_reopen
from incidents.sla.sweep import sla_sweep
from learning import services as learning
from surveys.models import Invitation
from tests.history.conftest import HEADER, MAPPING, csv_bytes, row

pytestmark = pytest.mark.django_db


def _run(actor, upload, rows, *, dry_run=False, mapping=MAPPING, source="OldDesk") -> ImportRun:
    """Upload, start (queued on commit), then the task's body as the worker would run it."""
    run = services.import_upload(actor=actor, upload=upload(rows), source=source, mapping=None)
    started = services.import_start(actor=actor, run=run, mapping=mapping, dry_run=dry_run)
    assert import_run_task(started.pk) == "done"
    assert import_run_task(started.pk) == "skipped"  # delivered twice, run once
    started.refresh_from_db()
    return started


def test_mapping_names_and_values_are_checked():
    with pytest.raises(ValidationError, match="fields this product does not have: colour"):
        mapping_from_text('{"columns": {"external_id": "a", "title": "b", "opened_at": "c", "colour": "d"}}')
    with pytest.raises(ValidationError, match="required field: opened_at"):
        mapping_from_text("columns:\n  external_id: a\n  title: b\n")
    with pytest.raises(ValidationError, match="only be resolved, closed or cancelled, not open"):
        mapping_from_text(
            '{"columns": {"external_id": "a", "title": "b", "opened_at": "c"}, '
            '"status_values": {"new": "open"}}'
        )
    yaml_mapping = mapping_from_text(
        "columns:\n  external_id: a\n  title: b\n  opened_at: c\ndate_format: '%d.%m.%Y'\n"
    )
    assert yaml_mapping.columns == {"external_id": "a", "title": "b", "opened_at": "c"}


def test_a_column_the_file_lacks_is_refused_before_anything_runs(incident_manager, upload):
    run = services.import_upload(
        actor=incident_manager, upload=upload([row("1")]), source="Old", mapping=None
    )
    bad = {"columns": {**MAPPING["columns"], "title": "Headline"}}
    with pytest.raises(ValidationError, match="no column named “Headline”"):
        services.import_start(actor=incident_manager, run=run, mapping=bad, dry_run=True)


def test_dry_run_reports_what_would_be_created_and_refused_and_writes_nothing(incident_manager, upload):
    before = (Incident.objects.count(), Category.objects.count(), Service.objects.count())
    rows = [
        row("1"),
        row("2", Category="Brand new kind", Service="Telepathy"),
        row("3", Opened="yesterday"),
        row("4", Summary="x" * 201),
        row("5", State="Open"),
        row("6", Resolved="2025-02-01 10:00"),
        row("7", Prio="9"),
    ]

    run = _run(incident_manager, upload, rows, dry_run=True)

    assert (run.state, run.processed, run.created, run.refused) == ("done", 7, 2, 5)
    assert (Incident.objects.count(), Category.objects.count(), Service.objects.count()) == before
    reasons = run.report["reasons"]
    assert reasons["“opened_at” is not a date in the expected form (ISO 8601, e.g. 2024-03-01 14:05)."] == 1
    assert reasons["“title” is longer than 200 characters."] == 1
    assert reasons["“resolved_at” is before “opened_at”."] == 1
    assert reasons["The priority is not a number from 1 to 5."] == 1
    assert len(reasons) == 5
    samples = {s["id"]: s["reason"] for s in run.report["samples"]}
    assert samples["4"] == "“title” is 201 characters long; at most 200 are allowed."
    assert "“Open”" in samples["5"] and samples["3"].startswith("“opened_at” is “yesterday”")
    assert run.report["would_create"]["categories"] == ["hardware", "Brand new kind"]
    assert run.report["would_create"]["subcategories"] == ["hardware › Printer", "Brand new kind › Printer"]
    assert run.report["would_create"]["services"] == ["Printing", "Telepathy"]


def test_import_creates_history_matching_names_case_insensitively_and_is_idempotent(
    incident_manager, upload, alice
):
    hardware = Category.objects.create(name="Hardware", slug="hardware-x")
    rows = [row("1"), row("2", Team="NETWORK", State="erledigt"), row("3", State="resolved", Closed="")]

    first = _run(incident_manager, upload, rows)
    again = _run(incident_manager, upload, [*rows, row("4", Requester="nobody@nowhere.test")])

    assert (first.created, first.unchanged, first.refused) == (3, 0, 0)
    assert (again.created, again.unchanged, again.refused) == (1, 3, 0)
    imported = Incident.objects.filter(imported=True).order_by("external_id")
    assert [i.external_id for i in imported] == ["1", "2", "3", "4"]
    one, two, three, four = imported
    assert one.number.startswith("INC") and one.import_source == "OldDesk"
    assert (
        one.category == hardware and one.subcategory.name == "Printer" and one.subcategory.parent == hardware
    )
    assert one.service.name == "Printing" and one.assignment_group.slug == "service-desk"
    assert two.assignment_group.slug == "network" and two.status == "closed"
    assert one.caller == alice and one.priority == 4
    assert four.caller.username == "history-import" and not four.caller.is_active
    assert one.created_at.isoformat().startswith("2025-03-01T09:00")
    assert (one.status, one.resolved_at.hour, one.closed_at.day) == ("closed", 10, 4)
    assert (three.status, three.closed_at) == ("resolved", None)
    assert Category.objects.filter(name__iexact="printer").count() == 1
    assert ImportRun.objects.filter(started_by=incident_manager).count() == 2


def test_imported_history_is_read_only_and_starts_no_clock_mail_or_survey(
    incident_manager, upload, agent, django_capture_on_commit_callbacks
):
    _run(incident_manager, upload, [row("1"), row("2", State="resolved", Closed="")])
    resolved = Incident.objects.get(external_id="2")

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=timezone.now())

    assert not IncidentEvent.objects.filter(incident__imported=True).exists()
    assert not Incident.objects.filter(imported=True, sla_policy__isnull=False).exists()
    assert not Incident.objects.filter(imported=True, sla_next_check_at__isnull=False).exists()
    assert mail.outbox == [] and not Invitation.objects.exists()
    assert resolved.allowed_actions() == []
    with pytest.raises(ImportedReadOnly, match=r"OldDesk \(its id there: 2\): it is read-only"):
        incident_reopen(actor=incident_manager, incident=resolved, reason="back", expected_version=None)
    with pytest.raises(ImportedReadOnly):
        incident_comment(actor=agent, incident=resolved, body="hello", public=False)


def test_the_suggestions_learn_from_imported_history_but_never_restricted(incident_manager, upload):
    rows = [row(str(n), Summary=f"VPN drops {n}", Team="Network", Category="Network") for n in range(30)]
    rows += [row(f"s{n}", Summary=f"Zebracorn leak {n}", Category="Security") for n in range(5)]

    _run(incident_manager, upload, rows)
    titles = [e.title for e in learning.training_examples()]

    assert sum("VPN drops" in t for t in titles) == 30
    assert not any("Zebracorn" in t for t in titles)


def test_only_incident_managers_and_administrators_may_import(agent, upload):
    with pytest.raises(PermissionDenied):
        services.import_upload(actor=agent, upload=upload([row("1")]), source="Old", mapping=None)


def test_a_file_that_is_not_utf8_csv_is_a_clear_error(incident_manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    latin = SimpleUploadedFile("x.csv", "Ticket,Summäry\n1,x\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not a UTF-8 CSV file"):
        services.import_upload(actor=incident_manager, upload=latin, source="Old", mapping=None)


def test_a_comments_column_becomes_one_internal_comment_once(incident_manager, upload):
    mapping = {**MAPPING, "columns": {**MAPPING["columns"], "comments": "Notes"}}
    rows = [[*row("1"), "Called back twice.\nToner swapped."], [*row("2"), ""]]
    file = csv_bytes(rows, header=[*HEADER, "Notes"])

    def run(dry_run: bool) -> ImportRun:
        uploaded = SimpleUploadedFile("notes.csv", file)
        first = services.import_upload(
            actor=incident_manager, upload=uploaded, source="OldDesk", mapping=None
        )
        started = services.import_start(actor=incident_manager, run=first, mapping=mapping, dry_run=dry_run)
        import_run_task(started.pk)
        started.refresh_from_db()
        return started

    assert run(dry_run=True).report["comments"] == 1 and not IncidentEvent.objects.exists()
    assert run(dry_run=False).report["comments"] == 1
    assert run(dry_run=False).report["comments"] == 0  # again: nothing twice

    (note,) = IncidentEvent.objects.all()
    assert (note.incident.external_id, note.kind, note.public, note.actor) == ("1", "comment", False, None)
    assert note.body == "Called back twice.\nToner swapped."
    assert note.created_at == note.incident.resolved_at and note.notified_at is not None
    assert note.changes == {"imported_from": {"old": None, "new": "OldDesk #1"}}
