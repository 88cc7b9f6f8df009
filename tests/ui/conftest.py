import pytest
from django.test import Client

from incidents.models import Category, Service
from tests.factories import PASSWORD


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
