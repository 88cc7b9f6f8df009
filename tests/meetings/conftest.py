import pytest

from tests.factories import make_user


@pytest.fixture
def manager(db):
    return make_user("manager1", roles=["Manager"], email="manager1@example.org")
