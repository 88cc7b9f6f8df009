"""The import pages: who may use them, and bad input answered with a message and a 4xx."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from history.models import ImportRun
from tests.history.conftest import HEADER, MAPPING, csv_bytes, row

pytestmark = pytest.mark.django_db


def _upload(client, content: bytes, **extra):
    data = {"file": SimpleUploadedFile("old.csv", content), "source": "OldDesk", **extra}
    return client.post(reverse("history:index"), data)


def test_agents_are_refused_and_incident_managers_upload_then_pick_columns(client, agent, incident_manager):
    client.force_login(agent)
    assert client.get(reverse("history:index")).status_code == 403
    assert _upload(client, csv_bytes([row("1")])).status_code == 403

    client.force_login(incident_manager)
    response = _upload(client, csv_bytes([row("1")]))
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("history:mapping", args=[run.pk])
    page = client.get(reverse("history:mapping", args=[run.pk]))
    assert page.status_code == 200
    for column in HEADER:
        assert f'value="{column}"' in page.content.decode()

    columns = {f"col_{name}": column for name, column in MAPPING["columns"].items()}
    started = client.post(reverse("history:mapping", args=[run.pk]), {**columns, "dry": "1"})
    run.refresh_from_db()
    assert started.status_code == 302 and (run.state, run.dry_run) == ("queued", True)
    status = client.get(reverse("history:status", args=[run.pk])).json()
    assert status["state"] == "queued" and status["finished"] is False


def test_bad_files_and_mappings_are_a_message_and_a_400(client, incident_manager):
    client.force_login(incident_manager)
    empty = _upload(client, b"")
    assert empty.status_code == 400 and "file is empty" in empty.content.decode()
    header_only = _upload(client, b"\n\n")
    assert header_only.status_code == 400 and "The file is empty" in header_only.content.decode()
    bad_mapping = SimpleUploadedFile("m.yaml", b"columns: [1, 2")
    response = _upload(client, csv_bytes([row("1")]), mapping_file=bad_mapping)
    assert response.status_code == 400 and "neither JSON nor YAML" in response.content.decode()
    unknown = SimpleUploadedFile(
        "m.json", b'{"columns": {"external_id": "Nope", "title": "Summary", "opened_at": "Opened"}}'
    )
    response = _upload(client, csv_bytes([row("1")]), mapping_file=unknown)
    assert response.status_code == 400 and "no column named “Nope”" in response.content.decode()

    assert _upload(client, csv_bytes([row("1")])).status_code == 302
    run = ImportRun.objects.get()
    no_title = client.post(
        reverse("history:mapping", args=[run.pk]), {"col_external_id": "Ticket", "dry": "1"}
    )
    assert no_title.status_code == 400 and "required field: title, opened_at" in no_title.content.decode()
    wrong = client.post(reverse("history:mapping", args=[run.pk]), {"col_external_id": "Not a column"})
    assert wrong.status_code == 400


def test_an_imported_incident_shows_its_source_and_offers_no_action(client, incident_manager, tmp_path):
    from django.core.management import call_command

    from incidents.models import Incident
    from tests.history.conftest import MAPPING

    csv_path, mapping = tmp_path / "old.csv", tmp_path / "mapping.json"
    csv_path.write_bytes(csv_bytes([row("77")]))
    mapping.write_text(__import__("json").dumps(MAPPING))
    call_command("import_history", str(csv_path), "--mapping", str(mapping), "--source", "OldDesk")
    incident = Incident.objects.get(external_id="77")
    client.force_login(incident_manager)

    page = client.get(reverse("incidents:detail", args=[incident.number]))
    edit = client.post(reverse("incidents:edit", args=[incident.number]), {"title": "changed"})

    assert page.status_code == 200
    assert "Imported from OldDesk, id 77: read-only history" in page.content.decode()
    assert reverse("incidents:edit", args=[incident.number]) not in page.content.decode()
    assert edit.status_code in (302, 400, 403, 409)  # back to the page with the reason, or refused
    assert Incident.objects.get(pk=incident.pk).title == incident.title
