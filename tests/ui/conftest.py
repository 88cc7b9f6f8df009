import pytest
from django.test import Client

from incidents.models import Category, Service
from tests.factories import PASSWORD, make_user


@pytest.fixture
def agent(db):
    return make_user("agent1", groups=["service-desk"], first_name="Ann", last_name="Agent")


@pytest.fixture
def agent2(db):
    return make_user("agent2", groups=["service-desk"])


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
def alice(db):
    return make_user("alice1", first_name="Alice", last_name="Liddell", email="alice@example.org")


@pytest.fixture
def taxonomy(db):
    hardware = Category.objects.create(name="Hardware", slug="hardware")
    printer = Category.objects.create(name="Printer", slug="printer", parent=hardware)
    software = Category.objects.create(name="Software", slug="software")
    email = Category.objects.create(name="E-mail client", slug="email-client", parent=software)
    service = Service.objects.create(name="Printing", slug="printing")
    return {
        "hardware": hardware,
        "printer": printer,
        "software": software,
        "email": email,
        "service": service,
    }


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
