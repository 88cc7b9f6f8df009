"""The learning pages and the API: who may use them and what they answer."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from escalation.choices import Role
from learning import services
from learning.models import SuggestionModel
from learning.selectors import learning_settings
from tests.factories import PASSWORD, make_incident, make_user

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_form_endpoint_answers_staff_with_suggestions(client, history, agent, alice):
    history.log(60, actor=agent, caller=alice, noise=0.0)
    services.model_train()

    response = signed_in(client, agent).get(
        reverse("learning:suggest"), {"title": "Printer paper jam", "description": "", "channel": "phone"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == 1
    assert body["fields"]["category"][0]["value"] == history.categories[12].pk
    assert 0 < body["fields"]["category"][0]["confidence"] <= 1


def test_the_form_endpoint_is_for_staff_only(client, alice):
    response = signed_in(client, alice).get(reverse("learning:suggest"), {"title": "x"})

    assert response.status_code == 403


def test_the_form_endpoint_without_a_model_suggests_nothing(client, agent):
    response = signed_in(client, agent).get(reverse("learning:suggest"), {"title": "Printer"})

    assert response.json() == {"model_version": None, "fields": {}}


def test_the_log_form_carries_the_suggestions_box_and_its_script(client, agent):
    page = signed_in(client, agent).get(reverse("incidents:create")).content.decode()

    assert 'id="learning-suggestions"' in page
    assert "js/learning.js" in page


def test_the_model_page_shows_the_figures_to_the_incident_manager(
    client, history, agent, alice, incident_manager
):
    history.log(60, actor=agent, caller=alice, noise=0.0)
    services.model_train()

    page = signed_in(client, incident_manager).get(reverse("learning:model"))

    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="model-figures"' in text
    assert "Baseline top-1" in text


@pytest.mark.parametrize("who", ["agent", "alice"])
def test_the_model_page_is_refused_to_others(client, request, who):
    user = request.getfixturevalue(who)

    assert signed_in(client, user).get(reverse("learning:model")).status_code == 403
    assert client.post(reverse("learning:retrain")).status_code == 403


def test_the_incident_manager_sets_the_threshold_and_a_bad_one_is_a_400(client, incident_manager):
    signed_in(client, incident_manager)

    bad = client.post(reverse("learning:model"), {"routing_enabled": "on", "routing_threshold": "3"})
    good = client.post(reverse("learning:model"), {"routing_enabled": "on", "routing_threshold": "0.85"})

    assert bad.status_code == 400
    assert good.status_code == 302
    assert learning_settings().routing_enabled and learning_settings().routing_threshold == 0.85


def test_retrain_queues_the_training_task(client, incident_manager, django_capture_on_commit_callbacks):
    signed_in(client, incident_manager)
    with mock.patch("core.queueing.current_app") as app, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("learning:retrain"))

    assert response.status_code == 302
    app.signature.assert_called_once_with(
        "learning.tasks.model_train_task", args=(incident_manager.pk,), kwargs={}
    )


def test_the_api_suggests_for_staff_and_refuses_end_users(client, history, agent, alice):
    history.log(60, actor=agent, caller=alice, noise=0.0)
    services.model_train()
    url = reverse("api:suggestions")

    ok = signed_in(client, agent).post(
        url, {"title": "VPN tunnel disconnects"}, content_type="application/json"
    )
    empty = client.post(url, {"title": " "}, content_type="application/json")
    refused = signed_in(client, alice).post(url, {"title": "VPN"}, content_type="application/json")

    assert ok.status_code == 200 and ok.json()["model_version"] == SuggestionModel.objects.get().version
    assert ok.json()["fields"]["assignment_group"][0]["value"] == history.groups[201].pk
    assert empty.status_code == 400 and "detail" in empty.json()
    assert refused.status_code == 403


def test_the_managers_dashboard_shows_the_acceptance_rate(client, history, agent, alice):
    manager = make_user("manager1", roles=[Role.MANAGER])
    history.log(60, actor=agent, caller=alice, noise=0.0)
    services.model_train()
    kept = make_incident(
        actor=agent,
        caller=alice,
        title="Printer paper jam",
        category=history.parent,
        subcategory=history.categories[12],
        impact=2,
        urgency=3,
    )
    services.on_incident_created(kept.events.get(kind="created"))

    page = signed_in(client, manager).get(reverse("reporting:dashboard")).content.decode()

    assert 'data-testid="dashboard-suggestions"' in page
    assert 'data-testid="acceptance-rate">100 %' in page
