"""One rule, two forms: ``incidents_visible_to`` (SQL, for lists) and ``incident_get_for_user``
(one row read by number and checked with ``permissions.can_view``) must agree for everyone, and so
must ``incident_id_for_user`` (the same check on the few columns it needs, for the live feed).

Every pair of a user and an incident below is asked both ways; a security incident, a security
incident its own caller may see, an ordinary one, and one a colleague watches.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import Http404

from escalation.access import access_for
from incidents import permissions, selectors
from incidents.models import Category, Incident, Watcher
from tests.factories import group, make_incident, make_user

pytestmark = pytest.mark.django_db


def _gets(user, incident) -> bool:
    try:
        selectors.incident_get_for_user(access=access_for(user), number=incident.number)
    except Http404:
        gets = False
    else:
        gets = True
    try:
        found = selectors.incident_id_for_user(access=access_for(user), number=incident.number)
    except Http404:
        assert not gets
    else:
        assert gets and found == incident.pk
    return gets


def test_the_list_rule_and_the_single_read_agree(agent, alice, bob, incident_manager):
    security = Category.objects.get(slug="security", parent__isnull=True)
    secops = make_user("secops2", groups=["security"])
    tech = make_user("tech2", groups=["technical-support"])
    manager = make_user("manager2", roles=["Manager"])
    stranger = make_user("stranger2")
    carol = make_user("carol2")
    incidents = {
        "ordinary": make_incident(actor=agent, caller=alice, title="Printer"),
        "security category": make_incident(actor=alice, caller=alice, title="Phishing", category=security),
        "security group": make_incident(
            actor=agent, caller=bob, title="Odd login", assignment_group=group("security")
        ),
        "watched": make_incident(actor=agent, caller=bob, title="VPN"),
    }
    Watcher.objects.create(incident=incidents["watched"], user=carol, added_by=bob)
    users = [agent, alice, bob, incident_manager, secops, tech, manager, stranger, carol, AnonymousUser()]
    name_of = {u.pk: u.get_username() for u in users if u.is_authenticated}
    seen = set()
    for user in users:
        for name, incident in incidents.items():
            listed = selectors.incidents_visible_to(access_for(user)).filter(pk=incident.pk).exists()
            assert _gets(user, incident) == listed, (getattr(user, "username", "anonymous"), name)
            seen.add((getattr(user, "username", "anonymous"), name, listed))
    # and for staff, the rule of the counts beside a list ("counted but not listed") leaves out exactly
    # what the list rule does not show: together they cover every incident once
    every = set(Incident.objects.values_list("pk", flat=True))
    staff = [u for u in users if u.is_authenticated and access_for(u).is_staff_member]
    assert {agent, secops, tech, incident_manager} <= set(staff)
    for user in staff:
        access = access_for(user)
        shown = set(selectors.incidents_visible_to(access).values_list("pk", flat=True))
        rule = permissions.staff_hidden(access)
        hidden = set() if rule is None else set(Incident.objects.filter(rule).values_list("pk", flat=True))
        assert shown | hidden == every and not shown & hidden, user.get_username()
        assert selectors.incidents_not_visible_count(access, Q()) == len(hidden)
    assert permissions.staff_hidden(access_for(incident_manager)) is None
    # the cases are not all alike: both answers occur for staff and for end users
    agent_, alice_ = name_of[agent.pk], name_of[alice.pk]
    assert (agent_, "security category", False) in seen and (agent_, "ordinary", True) in seen
    assert ("secops2", "security group", True) in seen and (alice_, "security category", True) in seen
    assert ("carol2", "watched", True) in seen and ("stranger2", "ordinary", False) in seen


def test_the_rule_follows_the_configuration_it_keeps(agent, alice):
    """The restricted incidents are named by the keys the configuration cache keeps: a change of the
    security group or category is seen by the next read, in the lists as in the single read."""
    secops = make_user("secops3", groups=["security"])
    tech = make_user("tech3", groups=["technical-support"])  # neither caller nor reporter below
    odd = make_incident(actor=agent, caller=alice, title="Odd login", assignment_group=group("security"))
    hardware = Category.objects.create(name="Hardware", slug="hardware-x")
    laptop = make_incident(actor=agent, caller=alice, title="Laptop", category=hardware)

    def lists(user, incident) -> bool:
        listed = selectors.incidents_visible_to(access_for(user)).filter(pk=incident.pk).exists()
        assert _gets(user, incident) == listed
        return listed

    assert lists(secops, odd) and not lists(tech, odd) and lists(tech, laptop)

    security = group("security")
    security.is_active = False  # its members are no longer exempt
    security.save()
    assert not lists(secops, odd)
    security.is_active = True
    security.save()
    assert lists(secops, odd)

    Category.objects.filter(slug="security", parent__isnull=True).update(slug="security-old")
    hardware.slug = "security"  # saved through the model: the configuration's version moves
    hardware.save()
    assert not lists(tech, laptop) and lists(secops, laptop)
