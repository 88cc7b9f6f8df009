"""``core.rows.rows_update`` writes the given columns of many rows with one statement, each value as
``save(update_fields=…)`` would have written it, and nothing else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.rows import rows_update
from escalation.models import SLAPolicy
from incidents.models import Incident, SlaState
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db


def test_rows_update_writes_each_rows_own_values_in_one_statement():
    agent, alice = make_user("agent1", groups=["service-desk"]), make_user("alice1")
    first, second, untouched = (make_incident(actor=agent, caller=alice) for _ in range(3))
    policy = SLAPolicy.objects.get(is_default=True)
    now = timezone.now().replace(microsecond=123456)
    first.sla_state, first.sla_next_check_at, first.sla_policy = SlaState.BREACHED, now, policy
    first.sla_policy_slug = 'it\'s "quoted"; DROP TABLE x'
    first.escalation_level = 3
    second.sla_state, second.sla_next_check_at, second.sla_policy = SlaState.WARNING, None, None
    second.sla_policy_slug, second.escalation_level = "", 0
    second.title = "not written"  # a column it was not asked to write
    before = Incident.objects.values().get(pk=untouched.pk)
    fields = ["sla_state", "sla_next_check_at", "sla_policy", "sla_policy_slug", "escalation_level"]

    with CaptureQueriesContext(connection) as queries:
        assert rows_update([first, second], fields) == 2

    assert len(queries) == 1
    written = {i.pk: i for i in Incident.objects.filter(pk__in=[first.pk, second.pk])}
    one, two = written[first.pk], written[second.pk]
    assert (one.sla_state, one.sla_next_check_at, one.sla_policy_id) == ("breached", now, policy.pk)
    assert (one.sla_policy_slug, one.escalation_level) == ('it\'s "quoted"; DROP TABLE x', 3)
    assert (two.sla_state, two.sla_next_check_at, two.sla_policy_id) == ("warning", None, None)
    assert (two.sla_policy_slug, two.escalation_level) == ("", 0)
    assert two.title != "not written"
    assert Incident.objects.values().get(pk=untouched.pk) == before
    assert rows_update([], fields) == 0
