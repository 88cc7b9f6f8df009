"""Logging incidents: priority, numbering, validation (SPEC §2, §3)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from escalation.choices import Level
from incidents import selectors, services
from incidents.errors import PermissionDenied
from incidents.models import Category, Counter, Incident, IncidentEvent, PriorityMatrixEntry
from tests.factories import group, make_incident, make_user

EXPECTED_PRIORITY = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}


@pytest.mark.django_db
@pytest.mark.parametrize(("impact", "urgency"), list(EXPECTED_PRIORITY))
def test_priority_follows_the_default_impact_urgency_matrix(impact, urgency, agent, alice):
    incident = make_incident(actor=agent, caller=alice, impact=impact, urgency=urgency)
    assert incident.priority == EXPECTED_PRIORITY[(impact, urgency)]


@pytest.mark.django_db
def test_the_matrix_is_data_an_incident_manager_can_change(agent, alice):
    PriorityMatrixEntry.objects.filter(impact=Level.LOW, urgency=Level.LOW).update(priority=4)
    assert make_incident(actor=agent, caller=alice, impact=3, urgency=3).priority == 4


@pytest.mark.django_db
def test_a_new_impact_recomputes_priority_and_is_logged(agent, alice):
    incident = make_incident(actor=agent, caller=alice, impact=3, urgency=3)
    updated = services.incident_update(actor=agent, incident=incident, expected_version=1, impact=1)
    assert updated.priority == 3
    event = updated.events.get(kind=IncidentEvent.Kind.UPDATED)
    assert event.changes == {"impact": {"old": 3, "new": 1}, "priority": {"old": 5, "new": 3}}
    assert event.actor == agent


@pytest.mark.django_db
def test_numbers_are_inc_and_seven_digits_in_sequence(agent, alice):
    first = make_incident(actor=agent, caller=alice)
    second = make_incident(actor=agent, caller=alice)
    assert first.number == "INC0000001"
    assert second.number == "INC0000002"


@pytest.mark.django_db
def test_a_new_incident_belongs_to_the_service_desk_and_logs_its_creation(agent, alice):
    incident = make_incident(actor=agent, caller=alice, channel="walk_in")
    assert incident.assignment_group.slug == "service-desk"
    assert incident.status == "new" and incident.version == 1
    assert incident.reported_by == agent
    created = incident.events.get()
    assert created.kind == "created" and created.public
    assert created.changes["assignment_group"] == {"old": None, "new": "service-desk"}
    assert created.changes["caller"] == {"old": None, "new": alice.username}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"impact": 4}, "impact"),
        ({"impact": 0}, "impact"),
        ({"urgency": "high"}, "urgency"),
        ({"channel": "pigeon"}, "channel"),
        ({"description": "bad\x00byte"}, "description"),
        ({"title": "bad\x00byte"}, "title"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(kwargs, field, agent, alice):
    counter_before = Counter.objects.get(name="incident").value
    with pytest.raises(ValidationError) as excinfo:
        make_incident(actor=agent, caller=alice, **kwargs)
    assert field in excinfo.value.message_dict
    assert Incident.objects.count() == 0
    assert IncidentEvent.objects.count() == 0
    assert Counter.objects.get(name="incident").value == counter_before


@pytest.mark.django_db
def test_unknown_user_group_and_mismatched_category_are_refused(agent, alice):
    with pytest.raises(ValidationError) as excinfo:
        selectors.user_lookup(username="nobody", field="caller")
    assert "caller" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        selectors.group_lookup(slug="no-such-group")
    assert "assignment_group" in excinfo.value.message_dict
    hardware = Category.objects.create(name="Hardware", slug="hardware")
    software = Category.objects.create(name="Software", slug="software")
    printer = Category.objects.create(name="Printer", slug="printer", parent=hardware)
    with pytest.raises(ValidationError) as excinfo:
        make_incident(actor=agent, caller=alice, category=software, subcategory=printer)
    assert "subcategory" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        make_incident(actor=agent, caller=alice, assignment_group=group("network"), assigned_to=agent)
    assert "assigned_to" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        make_incident(actor=agent, caller=alice, assignment_group=group("access"))
    assert "assignment_group" in excinfo.value.message_dict
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_an_end_user_reports_only_for_themselves(alice, bob):
    own = make_incident(actor=alice, caller=alice, channel="portal")
    assert own.reported_by == alice
    with pytest.raises(PermissionDenied):
        make_incident(actor=alice, caller=bob, channel="portal")
    with pytest.raises(PermissionDenied):
        make_incident(actor=alice, caller=alice, assignment_group=group("network"))


@pytest.mark.django_db(transaction=True)
def test_parallel_creators_get_unique_numbers_without_gaps():
    """Eight threads, each on its own PostgreSQL connection, log 10 incidents at once; a few
    creations roll back half-way. The committed numbers are exactly 1..N."""
    assert connection.vendor == "postgresql"
    agent = make_user("agent-par", groups=["service-desk"])
    caller = make_user("caller-par")
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(worker: int) -> None:
        from django.db import connections, transaction

        try:
            barrier.wait()
            for i in range(10):
                if i == 5 and worker % 2 == 0:
                    # A creation that fails after its number was allocated gives it back.
                    try:
                        with transaction.atomic():
                            make_incident(actor=agent, caller=caller, title=f"w{worker}-{i}")
                            raise RuntimeError("roll back")
                    except RuntimeError:
                        pass
                    continue
                make_incident(actor=agent, caller=caller, title=f"w{worker}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = sorted(Incident.objects.values_list("number", flat=True))
    expected_count = 8 * 10 - 4
    assert len(numbers) == expected_count
    assert numbers == [f"INC{n:07d}" for n in range(1, expected_count + 1)]
