"""SLA policy selection (SPEC §6, issue 13): ordered rules, first match wins, ``default`` otherwise;
re-evaluated when a field a rule reads changes, with the clocks recomputed as ``sla_recompute`` does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from escalation.models import BusinessCalendar, CallerProfile, RegisterChange, SLAPolicy, SLATarget
from incidents import services
from incidents.models import Category, Channel, IncidentEvent, Service, SlaThresholdFire
from incidents.sla import rules as sla_rules
from incidents.sla.rules import Caller, Facts, Rule, first_match
from incidents.sla.services import sla_policy_rule_create, sla_policy_rule_delete, sla_policy_rule_update
from incidents.sla.sweep import sla_sweep
from tests.factories import make_incident, make_user

from .conftest import london

MONDAY = london(2026, 3, 23, 8, 0)


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    sla_rules.cache_clear()
    yield
    sla_rules.cache_clear()


# --- the plain reference ---------------------------------------------------------------------


def reference_policy(rules: list[dict], incident: dict, caller: dict, default: str = "default") -> str:
    """What the rules say, written as plainly as possible: sort, then test each condition."""
    for rule in sorted(rules, key=lambda r: (r["position"], r["pk"])):
        if not rule["active"]:
            continue
        if rule["service"] is not None and rule["service"] != incident["service"]:
            continue
        if rule["category"] is not None and rule["category"] not in (
            incident["category"],
            incident["subcategory"],
        ):
            continue
        if rule["vip"] and not caller["vip"]:
            continue
        if rule["department"] and rule["department"].lower() != caller["department"].lower():
            continue
        if rule["channel"] and rule["channel"] != incident["channel"]:
            continue
        if rule["priority"] is not None and rule["priority"] != incident["priority"]:
            continue
        return rule["policy"]
    return default


maybe_id = st.none() | st.integers(1, 3)
departments = st.sampled_from(["", "Finance", "finance", "Sales"])
rule_dicts = st.fixed_dictionaries(
    {
        "position": st.integers(0, 5),
        "active": st.booleans(),
        "service": maybe_id,
        "category": maybe_id,
        "vip": st.booleans(),
        "department": departments,
        "channel": st.sampled_from(["", "phone", "email", "portal"]),
        "priority": st.none() | st.integers(1, 5),
        "policy": st.sampled_from(["vip", "critical", "other"]),
    }
)
incident_dicts = st.fixed_dictionaries(
    {
        "service": maybe_id,
        "category": maybe_id,
        "subcategory": maybe_id,
        "channel": st.sampled_from(["phone", "email", "portal"]),
        "priority": st.integers(1, 5),
    }
)
caller_dicts = st.fixed_dictionaries({"vip": st.booleans(), "department": departments})


def as_rules(dicts: list[dict]) -> list[Rule]:
    """What ``rules_load`` gives: active rules only, in order."""
    ordered = sorted(((d["position"], pk, d) for pk, d in enumerate(dicts, 1)), key=lambda t: (t[0], t[1]))
    return [
        Rule(
            pk=pk,
            name=f"rule {pk}",
            policy_id=pk,
            policy_slug=d["policy"],
            service_id=d["service"],
            category_id=d["category"],
            caller_vip=d["vip"],
            caller_department=d["department"],
            channel=d["channel"],
            priority=d["priority"],
        )
        for _, pk, d in ordered
        if d["active"]
    ]


@given(rules=st.lists(rule_dicts, max_size=8), incident=incident_dicts, caller=caller_dicts)
@settings(max_examples=150, deadline=None, derandomize=True)
def test_selection_agrees_with_the_plain_reference(rules, incident, caller):
    facts = Facts(
        service_id=incident["service"],
        category_id=incident["category"],
        subcategory_id=incident["subcategory"],
        channel=incident["channel"],
        priority=incident["priority"],
    )
    asked = []

    def who() -> Caller:
        asked.append(1)
        return Caller(is_vip=caller["vip"], department=caller["department"])

    found = first_match(as_rules(rules), facts, who)

    with_pk = [{**r, "pk": pk} for pk, r in enumerate(rules, 1)]
    assert (found.policy_slug if found else "default") == reference_policy(with_pk, incident, caller)
    assert len(asked) <= 1  # the caller's profile is read once at most


# --- rules in the database -----------------------------------------------------------------------


@pytest.fixture
def world(db, agent, incident_manager):
    office = BusinessCalendar.objects.get(slug="office-hours")
    around = BusinessCalendar.objects.get(slug="24x7")
    policies = {}
    for slug, calendar, resolution in (("vip", office, 2 * 60), ("critical", around, 4 * 60)):
        policy = SLAPolicy.objects.create(slug=slug, name=slug.title(), calendar=calendar)
        for priority in range(1, 6):
            SLATarget.objects.create(
                policy=policy,
                priority=priority,
                response_minutes=15,
                resolution_minutes=resolution * priority,
            )
        policies[slug] = policy
    erp = Service.objects.create(slug="erp", name="ERP")
    email = Service.objects.create(slug="email", name="Email")
    database = Category.objects.create(slug="database", name="Database")
    slow = Category.objects.create(slug="slow", name="Slow", parent=database)
    vip = make_user("vip1")
    CallerProfile.objects.create(user=vip, is_vip=True, department="Executive Office")
    finance = make_user("fin1")
    CallerProfile.objects.create(user=finance, department="Finance")
    im = incident_manager
    sla_policy_rule_create(actor=im, name="ERP", policy=policies["critical"], service=erp)
    sla_policy_rule_create(
        actor=im, name="Database P1", policy=policies["critical"], category=slow, priority=1
    )
    sla_policy_rule_create(actor=im, name="VIPs", policy=policies["vip"], caller_vip=True)
    sla_policy_rule_create(
        actor=im,
        name="Finance by email",
        policy=policies["vip"],
        caller_department="finance",
        channel=Channel.EMAIL,
    )
    return {
        "policies": policies,
        "erp": erp,
        "email": email,
        "database": database,
        "slow": slow,
        "vip": vip,
        "finance": finance,
    }


def test_the_first_matching_rule_chooses_the_policy_and_default_is_the_fallback(world, agent, alice):
    erp_by_vip = make_incident(actor=agent, caller=world["vip"], service=world["erp"], now=MONDAY)
    vip = make_incident(actor=agent, caller=world["vip"], service=world["email"], now=MONDAY)
    finance_phone = make_incident(actor=agent, caller=world["finance"], channel=Channel.PHONE, now=MONDAY)
    finance_mail = make_incident(actor=agent, caller=world["finance"], channel=Channel.EMAIL, now=MONDAY)
    db_p1 = make_incident(
        actor=agent,
        caller=alice,
        impact=1,
        urgency=1,
        category=world["database"],
        subcategory=world["slow"],
        now=MONDAY,
    )

    assert erp_by_vip.sla_policy == world["policies"]["critical"]  # the ERP rule comes first
    assert vip.sla_policy_slug == "vip"
    assert finance_phone.sla_policy_slug == "default" and finance_phone.sla_policy.slug == "default"
    assert finance_mail.sla_policy_slug == "vip"  # departments compare without case
    assert db_p1.sla_policy_slug == "critical"
    # the clocks run on the chosen policy: a VIP P3 resolves within 6 business hours
    assert vip.resolution_due_at == MONDAY + timedelta(hours=6)


def test_a_create_costs_one_query_for_the_rules_once_they_are_cached(world, agent, alice):
    make_incident(actor=agent, caller=alice, service=world["erp"])  # warms the cache
    facts = Facts(service_id=world["erp"].pk, caller_id=alice.pk, channel="phone", priority=3)

    with CaptureQueriesContext(connection) as queries:
        assert sla_rules.rule_for(facts).policy_slug == "critical"
    assert len(queries) == 1  # the version check; the ERP rule comes before any caller rule


def test_a_rule_change_is_audited_and_seen_by_the_next_incident(world, agent, alice, incident_manager):
    rule = sla_policy_rule_create(
        actor=incident_manager,
        name="Everything by portal",
        policy=world["policies"]["vip"],
        channel="portal",
        position=0,
    )
    assert make_incident(actor=agent, caller=alice, channel="portal").sla_policy_slug == "vip"

    sla_policy_rule_update(actor=incident_manager, rule=rule, is_active=False)
    assert make_incident(actor=agent, caller=alice, channel="portal").sla_policy_slug == "default"
    pk = rule.pk
    sla_policy_rule_delete(actor=incident_manager, rule=rule)

    log = RegisterChange.objects.filter(model="slapolicyrule", object_id=str(pk)).order_by("id")
    assert [c.action for c in log] == ["created", "updated", "deleted"]
    assert log[1].changes == {"is_active": {"old": True, "new": False}}
    assert log[1].actor == incident_manager


def test_only_the_incident_manager_edits_rules(world, agent):
    with pytest.raises(PermissionDenied):
        sla_policy_rule_create(actor=agent, name="Mine", policy=world["policies"]["vip"])


def test_a_changed_field_chooses_again_and_recomputes_keeping_fired_thresholds(world, agent, netops, alice):
    incident = make_incident(actor=agent, caller=alice, assigned_to=agent, now=MONDAY)  # P3, default
    assert incident.sla_policy_slug == "default"
    assert sla_sweep(now=london(2026, 3, 24, 9, 0)).fired == 0
    sla_sweep(now=london(2026, 3, 25, 11, 0))  # P3 3 business days: 75 % is Wednesday 10:30
    assert SlaThresholdFire.objects.filter(incident=incident, target="resolution", percent=75).exists()
    incident.refresh_from_db()

    incident = services.incident_update(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        service=world["erp"],
        now=london(2026, 3, 25, 11, 30),
    )

    assert incident.sla_policy_slug == "critical"
    # critical P3: 12 h around the clock from Monday 08:00
    assert incident.resolution_due_at == london(2026, 3, 23, 20, 0)
    assert incident.sla_state == "breached"
    event = IncidentEvent.objects.filter(incident=incident, kind="updated").latest("id")
    assert event.changes["sla_policy"] == {"old": "default", "new": "critical"}
    # the 75 % fired under the old policy stays fired; the 90 % and 100 % fire at the next sweep
    assert sla_sweep(now=london(2026, 3, 25, 11, 31)).fired == 2
    assert sorted(SlaThresholdFire.objects.filter(incident=incident).values_list("percent", flat=True)) == [
        75,
        90,
        100,
    ]


# --- re-evaluation, property-tested ----------------------------------------------------------------

changes = st.lists(
    st.fixed_dictionaries(
        {
            "service": st.sampled_from([None, "erp", "email"]),
            "caller": st.sampled_from(["alice1", "vip1", "fin1"]),
            "channel": st.sampled_from(["phone", "email"]),
            "impact": st.integers(1, 3),
        }
    ),
    min_size=1,
    max_size=3,
)


@pytest.mark.django_db
@given(steps=changes)
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # every example writes to the database: no long shrinking
)
def test_re_evaluation_agrees_with_the_reference_and_with_a_fresh_recompute(
    world, agent, incident_manager, alice, steps
):
    users = {"alice1": alice, "vip1": world["vip"], "fin1": world["finance"]}
    profiles = {
        "alice1": {"vip": False, "department": ""},
        "vip1": {"vip": True, "department": "Executive Office"},
        "fin1": {"vip": False, "department": "Finance"},
    }
    ids = {"erp": world["erp"].pk, "email": world["email"].pk, None: None}
    rules = [
        {
            "pk": 1,
            "position": 10,
            "active": True,
            "service": world["erp"].pk,
            "category": None,
            "vip": False,
            "department": "",
            "channel": "",
            "priority": None,
            "policy": "critical",
        },
        {
            "pk": 2,
            "position": 20,
            "active": True,
            "service": None,
            "category": world["slow"].pk,
            "vip": False,
            "department": "",
            "channel": "",
            "priority": 1,
            "policy": "critical",
        },
        {
            "pk": 3,
            "position": 30,
            "active": True,
            "service": None,
            "category": None,
            "vip": True,
            "department": "",
            "channel": "",
            "priority": None,
            "policy": "vip",
        },
        {
            "pk": 4,
            "position": 40,
            "active": True,
            "service": None,
            "category": None,
            "vip": False,
            "department": "finance",
            "channel": "email",
            "priority": None,
            "policy": "vip",
        },
    ]
    incident = make_incident(actor=agent, caller=alice, assigned_to=agent, now=MONDAY)
    moment = MONDAY
    for step in steps:
        moment += timedelta(minutes=47)
        sla_sweep(now=moment)
        fired_before = set(
            SlaThresholdFire.objects.filter(incident=incident).values_list("target", "percent")
        )
        incident.refresh_from_db()
        service = Service.objects.get(pk=ids[step["service"]]) if step["service"] else None
        incident = services.incident_update(
            actor=incident_manager,  # works the incident wherever the escalation rules moved it
            incident=incident,
            expected_version=incident.version,
            service=service,
            caller=users[step["caller"]],
            channel=step["channel"],
            impact=step["impact"],
            now=moment,
        )
        facts = {
            "service": ids[step["service"]],
            "category": None,
            "subcategory": None,
            "channel": step["channel"],
            "priority": incident.priority,
        }
        assert incident.sla_policy_slug == reference_policy(rules, facts, profiles[step["caller"]])
        fired_after = set(SlaThresholdFire.objects.filter(incident=incident).values_list("target", "percent"))
        assert fired_before <= fired_after  # fired thresholds stay fired
        # the clocks are what a recompute from scratch under the chosen policy gives
        due = (incident.response_due_at, incident.resolution_due_at, incident.sla_next_check_at)
        from incidents.sla import clocks as sla

        sla.refresh(incident, now=moment)
        assert (incident.response_due_at, incident.resolution_due_at, incident.sla_next_check_at) == due
