"""Merging a duplicate (issue 23 §3): what moves, who is told, and the refusals."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.errors import PermissionDenied
from incidents.models import IncidentEvent, Status, Watcher
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db


def test_a_duplicate_moves_its_comments_files_watchers_and_links_then_is_cancelled(agent, alice, bob):
    survivor = make_incident(actor=agent, caller=alice, title="Printer on floor 3")
    dup = make_incident(actor=agent, caller=bob, title="Floor 3 printer")
    services.incident_comment(actor=agent, incident=dup, body="Toner checked.", public=False)
    services.attachment_add(
        actor=agent,
        incident=dup,
        upload=SimpleUploadedFile("log.txt", b"jam at tray 2\n", content_type="text/plain"),
    )
    child = make_incident(actor=agent, parent=dup)
    carol = make_user("carol", email="carol@example.org")
    Watcher.objects.create(incident=dup, user=carol, added_by=agent)

    dup.refresh_from_db()
    kept = services.incident_merge(actor=agent, incident=dup, expected_version=dup.version, into=survivor)

    dup.refresh_from_db()
    child.refresh_from_db()
    assert kept == survivor
    assert dup.status == Status.CANCELLED and dup.duplicate_of == survivor
    copied = survivor.events.get(kind=IncidentEvent.Kind.COMMENT, body="Toner checked.")
    assert not copied.public and copied.changes["merged_from"]["new"] == dup.number
    assert survivor.attachments.get().original_name == "log.txt"
    assert child.parent == survivor
    assert set(survivor.watchers.values_list("user__username", flat=True)) == {"bob1", "carol"}
    # both callers are told: a public entry on each
    assert survivor.events.filter(
        kind=IncidentEvent.Kind.COMMENT, public=True, body__contains=dup.number
    ).exists()
    assert dup.events.get(kind=IncidentEvent.Kind.CANCELLED).public


def test_a_restricted_incident_is_never_merged_with_an_unrestricted_one(agent, incident_manager):
    normal = make_incident(actor=agent)
    restricted = make_incident(actor=incident_manager, assignment_group=group("security"))

    for dup, into in ((restricted, normal), (normal, restricted)):
        with pytest.raises(PermissionDenied):
            services.incident_merge(actor=incident_manager, incident=dup, expected_version=None, into=into)
    assert normal.events.filter(kind=IncidentEvent.Kind.CANCELLED).count() == 0


def test_only_the_owning_groups_merge(agent, tech):
    mine = make_incident(actor=agent)
    theirs = make_incident(actor=agent, assignment_group=group("technical-support"))

    with pytest.raises(PermissionDenied):
        services.incident_merge(actor=agent, incident=mine, expected_version=None, into=theirs)


def test_merging_into_itself_or_a_closed_incident_is_refused(agent):
    one = make_incident(actor=agent)
    gone = make_incident(actor=agent)
    services.incident_cancel(actor=agent, incident=gone, expected_version=None, reason="Mistake")

    with pytest.raises(ValidationError):
        services.incident_merge(actor=agent, incident=one, expected_version=None, into=one)
    with pytest.raises(ValidationError):
        services.incident_merge(actor=agent, incident=one, expected_version=None, into=gone)


def test_merge_through_the_api_by_number(agent, alice, client):
    from django.core.cache import cache
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    cache.clear()
    survivor, dup = make_incident(actor=agent, caller=alice), make_incident(actor=agent)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=agent)[1]}")

    response = api.post(
        f"/api/v1/incidents/{dup.number}/merge/",
        {"version": dup.version, "into": survivor.number},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.CANCELLED
    assert response.json()["duplicate_of"] == survivor.number
    stale = api.post(
        f"/api/v1/incidents/{dup.number}/merge/",
        {"version": dup.version, "into": survivor.number},
        format="json",
    )
    assert stale.status_code == 409
