"""The route enumeration that the visibility and accessibility walks stand on (tests/routes.py)."""

from __future__ import annotations

import pytest
from django.urls import path

from tests.routes import UnfilledRoutes, routes, url_patterns

pytestmark = pytest.mark.django_db


def test_every_routed_pattern_gets_a_url_that_resolves_to_it(world):
    found = routes(world)
    patterns = url_patterns()
    assert len(found) == len(patterns)
    assert {r.pattern for r in found} == {p.route for p in patterns}
    # every argument is filled from the world, e.g. an incident number and a month
    assert any(r.name == "incidents:detail" and r.kwargs["number"].startswith("INC") for r in found)
    assert any(r.name == "reporting:month-incidents-csv" for r in found)
    assert not any(r.pattern.startswith("admin/") for r in found)


def test_every_value_walks_each_canary_incident(world):
    details = [r.url for r in routes(world, every_value=True) if r.name == "incidents:detail"]
    assert details == [f"/incidents/{i.number}/" for i in world.incidents.values()]


def _view(request, **kwargs):
    raise AssertionError("never called")


urlpatterns = [
    path("gadgets/<int:gadget_id>/", _view, name="gadget"),
    path("incidents/<str:number>/", _view, name="incident"),
]


def test_a_new_route_without_arguments_fails_with_its_name(world):
    with pytest.raises(UnfilledRoutes) as failure:
        routes(world, urlconf=__name__)
    assert "gadget 'gadgets/<int:gadget_id>/'" in str(failure.value)
    assert "incident" not in str(failure.value)  # ``number`` is known
