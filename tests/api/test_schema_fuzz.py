"""Fuzz every operation of the live OpenAPI schema (SPEC §13: zero server errors under fuzzing).

Schemathesis reads /api/schema/ from the WSGI app, generates valid and invalid requests for every
operation, and checks each answer: never a 5xx, and always a documented status code, content
type and body shape. A second pass points the generated requests at real incidents with their
current version, so that the services themselves are driven, not only the 404 and 409 paths.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents.models import Incident
from tests.factories import group, make_incident

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(autouse=True)
def _keep_connection_open(db):
    # Like Django's test client: keep the test's connection (and its transaction) open across
    # requests instead of closing it when each request finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(people) -> dict[str, Any]:
    agent = people["agent"]
    incidents = [
        make_incident(actor=agent, caller=people["alice"]),
        make_incident(actor=agent, caller=people["bob"], assignment_group=group("network")),
    ]
    return {
        "incidents": incidents,
        "tokens": {name: AuthToken.objects.create(user=people[name])[1] for name in ("agent", "incidentmgr")},
    }


def _live_schema() -> dict[str, Any]:
    """The schema /api/schema/ serves, built by the same generator at collection time (when no
    database is open yet); test_the_served_schema_is_the_fuzzed_one proves they are the same."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


schema = schemathesis.openapi.from_dict(_live_schema())
schema.app = get_wsgi_application()


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case, world):
    case.call_and_validate(headers={"Authorization": f"Token {world['tokens']['agent']}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_every_operation_on_real_incidents_answers_as_documented(case, world):
    # Point the request at a real incident, with the version it has now.
    incident = world["incidents"][len(str(case.body)) % 2]
    if case.path_parameters and "number" in case.path_parameters:
        case.path_parameters["number"] = incident.number
    if isinstance(case.body, dict) and "version" in case.body:
        case.body["version"] = Incident.objects.get(pk=incident.pk).version
    case.call_and_validate(
        headers={"Authorization": f"Token {world['tokens']['incidentmgr']}"}, checks=CHECKS
    )


def test_the_served_schema_is_the_fuzzed_one(clients):
    response = clients["anonymous"].get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == _live_schema()
