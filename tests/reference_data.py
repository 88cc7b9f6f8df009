"""Keep the reference data of the data migrations in transactional tests.

A ``transaction=True`` test ends by flushing every table, which also removes what the data
migrations installed (default support groups, roles, the priority matrix, calendars and
policies). Marking those tests ``serialized_rollback`` makes pytest-django restore that
content before each of them, so every test starts from a freshly migrated database. Tests
that use ``live_server`` are transactional too. Loaded with ``-p tests.reference_data``.
"""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None:
            if "live_server" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
            continue
        if not marker.kwargs.get("transaction") or "serialized_rollback" in marker.kwargs:
            continue
        restoring = pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True)
        item.add_marker(restoring, append=False)
