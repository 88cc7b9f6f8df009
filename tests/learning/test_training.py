"""Training from the database: what is learned from, what is kept, what agents did."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from escalation.access import access_for
from incidents.models import Category, Incident
from learning import selectors, services
from learning.models import SuggestionFeedback, SuggestionModel
from tests.factories import group, make_incident

pytestmark = pytest.mark.django_db


def test_a_trained_model_is_stored_with_its_figures_and_suggests_for_staff(history, agent, alice):
    history.log(160, actor=agent, caller=alice)

    model = services.model_train()

    assert model.is_active and model.version == 1
    assert model.data_size == 160
    assert model.metrics["tested_on"] > 0 and model.metrics["trained_on"] + model.metrics["tested_on"] == 160
    assert model.metrics["fields"]["assignment_group"]["top1"] >= 0.8
    assert model.metrics["fields"]["category"]["baseline_top1"] < 0.3
    found = selectors.suggestions_for(access=access_for(agent), title="VPN tunnel disconnects when remote")
    assert found["model_version"] == 1
    group_choice = found["fields"]["assignment_group"][0]
    assert group_choice["label"] == "Network" or group_choice["value"] == group("network").pk
    category = found["fields"]["category"][0]
    assert category["apply"] == {"category": history.parent.pk, "subcategory": history.categories[11].pk}
    assert found["fields"]["priority"][0]["apply"] == {"impact": 2, "urgency": 2}


def test_an_end_user_is_offered_nothing(history, agent, alice):
    history.log(60, actor=agent, caller=alice)
    services.model_train()

    assert selectors.suggestions_for(access=access_for(alice), title="VPN tunnel disconnects")["fields"] == {}


def test_restricted_security_incidents_are_never_learned_from(history, agent, alice, incident_manager):
    history.log(120, actor=agent, caller=alice)
    security = Category.objects.get(slug="security", parent=None)
    secret = [
        make_incident(actor=agent, caller=alice, title="Zebracorn exfiltration on payroll", category=security)
        for _ in range(30)
    ]
    Incident.objects.filter(pk__in=[i.pk for i in secret]).update(status="closed")

    examples = list(services.training_examples())
    services.model_train()

    assert len(examples) == 120
    assert not any("Zebracorn" in e.title for e in examples)
    for person in (agent, incident_manager):
        found = selectors.suggestions_for(access=access_for(person), title="Zebracorn exfiltration")
        groups = [c["value"] for c in found["fields"]["assignment_group"]]
        categories = [c["value"] for c in found["fields"]["category"]]
        assert group("security").pk not in groups
        assert security.pk not in categories


def test_a_worse_model_does_not_replace_the_active_one(history, agent, alice):
    made = history.log(150, actor=agent, caller=alice, noise=0.0)
    first = services.model_train()
    # The last month is relabelled as nonsense: a model judged on it scores worse, and is kept aside.
    kinds = list(history.categories.values())
    for i, incident in enumerate(made[-50:]):
        Incident.objects.filter(pk=incident.pk).update(subcategory=kinds[i % len(kinds)], priority=1 + i % 5)

    second = services.model_train()

    assert not second.is_active
    assert SuggestionModel.objects.get(is_active=True).pk == first.pk
    assert "Kept v1" in second.decision


def test_an_equal_or_better_model_replaces_the_active_one(history, agent, alice):
    history.log(120, actor=agent, caller=alice)
    first = services.model_train()

    second = services.model_train()

    assert second.is_active and second.score >= first.score
    assert SuggestionModel.objects.filter(is_active=True).count() == 1


def test_too_little_history_is_a_clear_refusal(db):
    with pytest.raises(ValidationError, match="Too little history"):
        services.model_train()


def test_only_an_incident_manager_retrains(history, agent, alice, incident_manager):
    history.log(40, actor=agent, caller=alice)

    with pytest.raises(ValidationError):
        services.model_train(actor=agent)
    assert services.model_train(actor=incident_manager).requested_by == incident_manager


def test_what_the_agent_chose_is_recorded_against_the_suggestion_and_overrides_weigh_more(
    history, agent, alice
):
    history.log(120, actor=agent, caller=alice, noise=0.0)
    services.model_train()
    kept = make_incident(
        actor=agent,
        caller=alice,
        title="Printer paper jam again",
        category=history.parent,
        subcategory=history.categories[12],
        impact=2,
        urgency=3,
    )
    overridden = make_incident(
        actor=agent,
        caller=alice,
        title="Printer toner empty",
        category=history.parent,
        subcategory=history.categories[17],
    )

    for incident in (kept, overridden):
        services.on_incident_created(incident.events.get(kind="created"))
        services.on_incident_created(incident.events.get(kind="created"))  # at least once: harmless

    assert SuggestionFeedback.objects.get(incident=kept, field="category").accepted is True
    assert SuggestionFeedback.objects.get(incident=overridden, field="category").accepted is False
    assert not SuggestionFeedback.objects.filter(field="assignment_group").exists()  # the desk's default
    rate = selectors.acceptance()
    by_field = {f["field"]: f for f in rate["fields"]}
    assert by_field["category"]["total"] == 2 and by_field["category"]["accepted"] == 1
    Incident.objects.filter(pk__in=[kept.pk, overridden.pk]).update(status="closed")
    weights = {e.title: e.weight for e in services.training_examples()}
    assert weights["Printer toner empty"] == services.OVERRIDE_WEIGHT
    assert weights["Printer paper jam again"] == 1.0


def test_the_training_learns_from_the_newest_incidents_up_to_its_limit(history, agent, alice, settings):
    made = history.log(60, actor=agent, caller=alice)
    newest = sorted(made, key=lambda i: (i.created_at, i.pk))[-25:]

    settings.LEARNING_MAX_EXAMPLES = 25
    examples = list(services.training_examples())
    assert [e.title for e in examples] == [i.title for i in newest]  # the newest, oldest first

    settings.LEARNING_MAX_EXAMPLES = 0  # no limit
    assert len(list(services.training_examples())) == 60
