"""Uploaded files of history imports go after HISTORY_UPLOAD_RETENTION_DAYS; the runs, the audit, stay."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse

from history import services
from history.models import ImportRun
from history.tasks import import_run_task
from operations.tasks import retention_purge_task
from tests.history.conftest import MAPPING, row

pytestmark = pytest.mark.django_db


def test_uploads_are_removed_after_their_retention_and_their_runs_stay(
    client, incident_manager, upload, settings, time_machine, tmp_path
):
    settings.HISTORY_UPLOAD_RETENTION_DAYS = 30
    settings.RETENTION_ARCHIVE_DIR = str(tmp_path / "archive")
    time_machine.move_to("2026-01-05 10:00:00+00:00", tick=False)
    draft = services.import_upload(
        actor=incident_manager, upload=upload([row("1")]), source="Old", mapping=None
    )
    dry = services.import_start(actor=incident_manager, run=draft, mapping=MAPPING, dry_run=True)
    import_run_task(dry.pk)
    waiting = services.import_upload(
        actor=incident_manager, upload=upload([row("2")]), source="Old", mapping=None
    )
    waiting = services.import_start(actor=incident_manager, run=waiting, mapping=MAPPING, dry_run=True)
    time_machine.move_to("2026-01-20 10:00:00+00:00", tick=False)  # the real run, from the dry run's file
    real = services.import_start(actor=incident_manager, run=dry, mapping=MAPPING, dry_run=False)
    import_run_task(real.pk)
    name, kept = real.file.name, waiting.file.name
    assert dry.file.name == name

    # 36 days after the dry run, 21 after the real one
    time_machine.move_to("2026-02-10 10:00:00+00:00", tick=False)
    assert retention_purge_task()["history_uploads"] == 0  # the real run used the file since
    time_machine.move_to("2026-02-20 10:00:00+00:00", tick=False)
    assert retention_purge_task()["history_uploads"] == 1

    assert not default_storage.exists(name) and default_storage.exists(kept)  # queued: never taken away
    dry.refresh_from_db()
    real.refresh_from_db()
    for run in (dry, real):
        assert (run.file.name, run.original_name, run.created, run.state) == ("", "old.csv", 1, "done")
        assert run.file_removed_at.isoformat().startswith("2026-02-20T10:00")
    assert ImportRun.objects.count() == 3
    with pytest.raises(ValidationError, match="removed by retention after 30 days: upload it again"):
        services.import_start(actor=incident_manager, run=dry, mapping=MAPPING, dry_run=False)

    client.force_login(incident_manager)
    page = client.get(reverse("history:run", args=[dry.pk])).content.decode()
    assert 'data-testid="file-removed"' in page and 'data-testid="import-for-real"' not in page
    response = client.get(reverse("history:mapping", args=[dry.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("history:index")
    assert "removed by retention" in response.content.decode()
    assert client.post(reverse("history:import", args=[dry.pk])).status_code == 302

    settings.HISTORY_UPLOAD_RETENTION_DAYS = 0  # keeps them for ever
    time_machine.move_to("2027-02-20 10:00:00+00:00", tick=False)
    assert "history_uploads" not in retention_purge_task()
    assert default_storage.exists(kept)
