import pytest

from tests.factories import make_user


@pytest.fixture
def agent(db):
    return make_user("agent1", groups=["service-desk"])


@pytest.fixture
def tech(db):
    return make_user("tech1", groups=["technical-support"])


@pytest.fixture
def netops(db):
    return make_user("netops1", groups=["network"])


@pytest.fixture
def access_member(db):
    return make_user("access1", groups=["access"])


@pytest.fixture
def incident_manager(db):
    return make_user("im1", roles=["Incident manager"])


@pytest.fixture
def alice(db):
    return make_user("alice1")


@pytest.fixture
def bob(db):
    return make_user("bob1")
