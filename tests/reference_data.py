"""Keep the reference data of the data migrations in transactional tests.

A ``transaction=True`` test ends by flushing every table, which also removes what the data
migrations installed (default support groups, roles, the priority matrix, calendars and
policies). Marking those tests ``serialized_rollback`` makes pytest-django restore that
content before each of them, so every test starts from a freshly migrated database.
Loaded with ``-p tests.reference_data`` (pyproject addopts).
"""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if "serialized_rollback" in marker.kwargs:
            continue
        item.add_marker(
            pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True), append=False
        )
