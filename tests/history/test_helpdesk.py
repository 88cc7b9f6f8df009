"""django-helpdesk's database brought in through the command (a small SQLite file in its table shapes)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from history.models import ImportedComment, ImportRun
from incidents.errors import ImportedReadOnly
from incidents.models import Incident, IncidentEvent, Notification
from incidents.services import incident_comment
from operations import retention
from tests.factories import make_incident
from tests.history.conftest import MAPPING, csv_bytes, row

pytestmark = pytest.mark.django_db

# The columns the importer reads, as django-helpdesk's migrations create them (trimmed of the rest).
SCHEMA = """
CREATE TABLE auth_user (
    id integer PRIMARY KEY, username varchar(150) NOT NULL, email varchar(254),
    first_name varchar(150) NOT NULL DEFAULT '', last_name varchar(150) NOT NULL DEFAULT ''
);
CREATE TABLE helpdesk_queue (id integer PRIMARY KEY, title varchar(100) NOT NULL, slug varchar(50) NOT NULL);
CREATE TABLE helpdesk_ticket (
    id integer PRIMARY KEY, title varchar(200) NOT NULL, queue_id integer NOT NULL REFERENCES helpdesk_queue,
    created datetime NOT NULL, modified datetime NOT NULL, submitter_email varchar(254),
    assigned_to_id integer REFERENCES auth_user, status integer NOT NULL, on_hold bool NOT NULL DEFAULT 0,
    description text, resolution text, priority integer NOT NULL, due_date datetime
);
CREATE TABLE helpdesk_followup (
    id integer PRIMARY KEY, ticket_id integer NOT NULL REFERENCES helpdesk_ticket, date datetime NOT NULL,
    title varchar(200), comment text, public bool NOT NULL, user_id integer, new_status integer
);
"""


def _helpdesk_file(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO auth_user VALUES (?, ?, ?, ?, ?)",
        [
            (1, "agent1", "agent1@example.org", "Ann", "Agent"),  # the same username here
            (2, "jdoe", "jdoe@old.example", "Jane", "Doe"),  # nobody here
            (3, "alice.old", "ALICE@example.org", "", ""),  # the same e-mail here
        ],
    )
    db.executemany(
        "INSERT INTO helpdesk_queue VALUES (?, ?, ?)", [(1, "Network", "net"), (2, "Facilities", "fac")]
    )
    tickets = [
        # id, title, queue, created, modified, submitter, assignee, status, priority, resolution
        (
            11,
            "VPN down",
            1,
            "2024-05-02 08:00:00",
            "2024-05-03 09:00:00",
            "alice@example.org",
            1,
            4,
            1,
            "Rebooted",
        ),
        (12, "Door stuck", 2, "2024-05-04 08:00:00", "2024-05-04 12:00:00", "", None, 3, 5, "Oiled"),
        (13, "Same as 11", 1, "2024-05-02 08:05:00", "2024-05-02 08:10:00", "", None, 5, 3, ""),
        (14, "Still open", 1, "2024-05-06 08:00:00", "2024-05-06 08:00:00", "", None, 1, 3, ""),
    ]
    db.executemany(
        "INSERT INTO helpdesk_ticket (id, title, queue_id, created, modified, submitter_email,"
        " assigned_to_id, status, priority, resolution, description)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'text')",
        tickets,
    )
    db.executemany(
        "INSERT INTO helpdesk_followup (ticket_id, date, title, public, new_status) VALUES (?, ?, ?, 1, ?)",
        [(11, "2024-05-02 17:00:00", "Resolved", 3), (11, "2024-05-03 09:00:00", "Closed", 4)],
    )
    db.executemany(  # follow-ups with something to read: the incidents' comments
        "INSERT INTO helpdesk_followup (id, ticket_id, date, title, comment, public, user_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (101, 11, "2024-05-02 09:00:00", "Comment", "Tunnel flaps, checking the firewall", 0, 1),
            (102, 11, "2024-05-02 10:30:00", "Reply sent", "Is it back for you?", 1, 2),
            (103, 12, "2024-05-04 09:00:00", "", "Still stuck on the 2nd floor", 1, 3),
            (104, 14, "2024-05-06 09:00:00", "Comment", "An open ticket's: not history", 1, 1),
        ],
    )
    db.commit()
    db.close()
    return path


def test_django_helpdesk_tickets_become_history(tmp_path, incident_manager, alice, agent):
    target = str(_helpdesk_file(tmp_path / "helpdesk.sqlite3"))
    out = StringIO()

    call_command("import_history", "--helpdesk", target, "--source", "helpdesk", "--user", "im1", stdout=out)
    call_command("import_history", "--helpdesk", f"sqlite:///{target}", "--source", "helpdesk", stdout=out)

    found = {i.external_id: i for i in Incident.objects.filter(import_source="helpdesk")}
    assert set(found) == {"11", "12", "13"}
    vpn, door, dup = found["11"], found["12"], found["13"]
    assert (vpn.status, vpn.priority, vpn.assignment_group.slug) == ("closed", 1, "network")
    assert (vpn.caller, vpn.assigned_to, vpn.resolution_notes) == (alice, agent, "Rebooted")
    assert (vpn.resolved_at.day, vpn.resolved_at.hour, vpn.closed_at.day) == (2, 17, 3)
    assert (door.status, door.priority, door.assignment_group.name) == ("resolved", 5, "Facilities")
    assert door.caller.username == "history-import"
    assert (dup.status, dup.resolved_at) == ("cancelled", None)
    first, second = ImportRun.objects.order_by("pk")
    assert (first.kind, first.created, first.refused, first.started_by.username) == ("helpdesk", 3, 1, "im1")
    assert (second.created, second.unchanged, second.refused) == (0, 3, 1)
    assert "3 rows: created 3" not in out.getvalue() and "4 rows: created 3" in out.getvalue()


def test_the_command_imports_a_csv_with_a_mapping_file_and_says_what_is_wrong(tmp_path):
    csv_path = tmp_path / "old.csv"
    csv_path.write_bytes(csv_bytes([row("1"), row("2", Opened="31/12/2024")]))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    out = StringIO()

    call_command(
        "import_history", str(csv_path), "--mapping", str(mapping), "--source", "Old", "--dry-run", stdout=out
    )
    assert "2 rows: would create 1" in out.getvalue() and "refused 1" in out.getvalue()
    assert not Incident.objects.filter(imported=True).exists()

    with pytest.raises(CommandError, match="no column named “Nope”"):
        mapping.write_text(json.dumps({"columns": {**MAPPING["columns"], "title": "Nope"}}))
        call_command("import_history", str(csv_path), "--mapping", str(mapping), "--source", "Old")
    with pytest.raises(CommandError, match="There is no SQLite file"):
        call_command("import_history", "--helpdesk", str(tmp_path / "missing.db"), "--source", "hd")


def test_follow_ups_become_read_only_comments_once_with_their_dates_and_authors(
    tmp_path, incident_manager, alice, agent, django_capture_on_commit_callbacks
):
    path = _helpdesk_file(tmp_path / "helpdesk.sqlite3")
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_history", "--helpdesk", str(path), "--source", "helpdesk", "--dry-run", stdout=out
        )
    assert not IncidentEvent.objects.exists() and not ImportedComment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_history", "--helpdesk", str(path), "--source", "helpdesk", stdout=out)
        call_command("import_history", "--helpdesk", str(path), "--source", "helpdesk", stdout=out)

    vpn = Incident.objects.get(import_source="helpdesk", external_id="11")
    firewall, reply = vpn.events.order_by("created_at")
    assert (firewall.kind, firewall.actor, firewall.public) == ("comment", agent, False)
    assert firewall.body == "Tunnel flaps, checking the firewall"  # a bare "Comment" title is left out
    assert firewall.created_at == datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    assert firewall.changes == {"imported_from": {"old": None, "new": "helpdesk #101"}}
    assert (reply.actor, reply.public, reply.body) == (None, True, "Reply sent\n\nIs it back for you?")
    assert reply.changes["written_by"] == {"old": None, "new": "Jane Doe"}  # nobody here: the name stays
    (floor,) = Incident.objects.get(import_source="helpdesk", external_id="12").events.all()
    assert (floor.actor, floor.public) == (alice, True)  # matched by e-mail
    assert IncidentEvent.objects.count() == 3  # once, though imported twice; the open ticket's never
    assert not IncidentEvent.objects.filter(notified_at__isnull=True).exists()  # no subscriber sees them
    assert mail.outbox == [] and not Notification.objects.exists()
    dry, first, second = ImportRun.objects.order_by("pk")
    assert (dry.report["comments"], first.report["comments"], second.report["comments"]) == (3, 3, 0)
    assert "3 comments" in out.getvalue()

    db = sqlite3.connect(path)  # the old tool got one more follow-up: the next import brings it
    db.execute(
        "INSERT INTO helpdesk_followup (id, ticket_id, date, title, comment, public, user_id)"
        " VALUES (105, 12, '2024-05-04 11:00:00', 'Comment', 'Fixed with oil', 0, NULL)"
    )
    db.commit()
    db.close()
    call_command("import_history", "--helpdesk", str(path), "--source", "helpdesk", stdout=out)
    assert ImportRun.objects.order_by("pk").last().report["comments"] == 1
    oil = IncidentEvent.objects.get(body="Fixed with oil")
    assert (oil.incident.external_id, oil.actor, "written_by" in oil.changes) == ("12", None, False)
    with pytest.raises(ImportedReadOnly):
        incident_comment(actor=agent, incident=oil.incident, body="more", public=False)


def test_retention_keeps_the_comments_of_imported_history(tmp_path, settings, incident_manager, agent):
    path = _helpdesk_file(tmp_path / "helpdesk.sqlite3")
    settings.RETENTION_ARCHIVE_DIR = str(tmp_path / "archive")
    call_command("import_history", "--helpdesk", str(path), "--source", "helpdesk", stdout=StringIO())
    imported = IncidentEvent.objects.count()
    # the product's own incident closed as long ago: its log goes, the imported tickets' stays
    own = make_incident(actor=agent, title="Old printer")
    long_ago = timezone.now() - timedelta(days=1000)
    Incident.objects.filter(pk=own.pk).update(status="closed", closed_at=long_ago)
    own_log = IncidentEvent.objects.filter(incident=own).count()
    assert own_log >= 1

    purged = retention.purge()  # the VPN ticket was closed in 2024: past the 730 days of a log

    assert purged["closed_incident_events"] == own_log
    assert not IncidentEvent.objects.filter(incident=own).exists()
    assert IncidentEvent.objects.count() == imported
    assert ImportedComment.objects.filter(event__isnull=True).count() == 0
    call_command("import_history", "--helpdesk", str(path), "--source", "helpdesk", stdout=StringIO())
    assert IncidentEvent.objects.count() == imported  # and importing again adds none twice
