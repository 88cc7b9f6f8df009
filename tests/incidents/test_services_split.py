"""Splitting a comment into a new incident (issue 23 §3): the new record, the links, the refusals."""

import pytest
from django.core.exceptions import ValidationError

from incidents import permissions, services
from incidents.errors import PermissionDenied
from incidents.models import Category, IncidentEvent, IncidentRelation
from tests.factories import group, make_incident

pytestmark = pytest.mark.django_db

BODY = "The scanner on floor 2 is broken as well.\n\nIt shows error E42 since Monday."


def test_a_comment_becomes_a_linked_incident_of_the_same_caller(agent, alice):
    category = Category.objects.get_or_create(slug="printing", parent=None, defaults={"name": "Printing"})[0]
    original = make_incident(actor=agent, caller=alice, category=category, impact=1)
    comment = services.incident_comment(actor=alice, incident=original, body=BODY, public=True)

    new = services.incident_split(actor=agent, incident=original, event_id=comment.pk)

    assert new.pk != original.pk and new.caller == alice
    assert new.description == BODY and new.title == "The scanner on floor 2 is broken as well."
    assert new.category == category and new.service_id == original.service_id and new.impact == 1
    created = new.events.get(kind=IncidentEvent.Kind.CREATED)
    assert created.changes["split_from"]["new"] == original.number
    entries = original.events.filter(changes__has_key="split_into")
    assert [e.changes["split_into"]["new"] for e in entries] == [new.number]


def test_someone_who_may_not_edit_cannot_split(agent, tech, alice):
    original = make_incident(actor=agent, caller=alice)
    comment = services.incident_comment(actor=alice, incident=original, body=BODY, public=True)

    for outsider in (tech, alice):
        with pytest.raises(PermissionDenied):
            services.incident_split(actor=outsider, incident=original, event_id=comment.pk)
    other = make_incident(actor=agent)
    with pytest.raises(ValidationError):  # a comment of another incident
        services.incident_split(actor=agent, incident=other, event_id=comment.pk)


def test_a_restricted_incidents_split_stays_restricted(incident_manager):
    secret = make_incident(actor=incident_manager, assignment_group=group("security"), title="Breach")
    note = services.incident_comment(
        actor=incident_manager, incident=secret, body="Second host hit", public=False
    )

    new = services.incident_split(actor=incident_manager, incident=secret, event_id=note.pk)

    assert permissions.is_restricted(new) and new.assignment_group.slug == "security"


def test_the_incident_page_splits_a_comment(client, agent, tech, alice):
    original = make_incident(actor=agent, caller=alice)
    comment = services.incident_comment(actor=alice, incident=original, body=BODY, public=True)
    url = f"/incidents/{original.number}/comments/{comment.pk}/split/"

    client.force_login(tech)
    assert (
        f'data-testid="split-{comment.pk}"'
        not in client.get(f"/incidents/{original.number}/").content.decode()
    )
    assert client.post(url).status_code == 403

    client.force_login(agent)
    assert (
        f'data-testid="split-{comment.pk}"' in client.get(f"/incidents/{original.number}/").content.decode()
    )
    done = client.post(url)
    new_number = done.url.rstrip("/").rsplit("/", 1)[-1]
    assert done.status_code == 302 and new_number != original.number
    assert client.get(done.url).status_code == 200
    assert client.post(f"/incidents/{original.number}/comments/999999/split/").status_code == 400
    assert client.post(f"/incidents/{original.number}/comments/{2**70}/split/").status_code == 400


def test_the_split_is_related_not_a_child_and_each_page_links_the_other(client, agent, alice, tech):
    original = make_incident(actor=agent, caller=alice, title="Password expired")
    comment = services.incident_comment(actor=alice, incident=original, body=BODY, public=True)
    new = services.incident_split(actor=agent, incident=original, event_id=comment.pk)

    relation = IncidentRelation.objects.get()
    assert (relation.source, relation.target, relation.kind) == (original, new, "split")
    assert new.parent_id is None  # a child would be resolved with its parent

    client.force_login(agent)
    original_page = client.get(f"/incidents/{original.number}/").content.decode()
    assert f'data-testid="relation-into"><a href="/incidents/{new.number}/">' in original_page
    new_page = client.get(f"/incidents/{new.number}/").content.decode()
    assert f'data-testid="relation-from"><a href="/incidents/{original.number}/">' in new_page

    original.refresh_from_db()
    services.incident_resolve(
        actor=agent,
        incident=original,
        expected_version=original.version,
        resolution_code="workaround",
        resolution_notes="Reset",
    )
    new.refresh_from_db()
    assert new.status != "resolved"

    # whoever may not open the other side does not see its link: the split made restricted later
    security = Category.objects.get(slug="security", parent__isnull=True)
    services.incident_update(actor=agent, incident=new, expected_version=new.version, category=security)
    new.refresh_from_db()
    assert permissions.is_restricted(new)
    client.force_login(tech)
    assert 'data-testid="relation-into"' not in client.get(f"/incidents/{original.number}/").content.decode()
