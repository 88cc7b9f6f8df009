"""The main menu, kept rendered per roles and language (``{% nav_links %}``): each person still gets the
menu of their own roles, in their own language, and nothing of another person."""

from __future__ import annotations

import pytest
from django.test import Client

from escalation.choices import Role
from profiles.models import Profile
from servicedesk.templatetags import navigation
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _menu(user) -> str:
    client = Client()
    client.force_login(user)
    page = client.get("/incidents/").content.decode()
    start = page.index('<ul class="navbar-nav')
    return page[start : page.index('<div class="d-flex align-items-xl-center', start)]


def test_each_role_and_language_gets_its_own_menu_from_the_kept_ones():
    navigation._rendered.clear()
    agent = make_user("agent1", groups=["service-desk"], first_name="Ann", last_name="Agent")
    manager = make_user("im1", roles=[Role.INCIDENT_MANAGER], first_name="Ian", last_name="Manager")
    german = make_user("agent2", groups=["service-desk"])
    Profile.objects.create(user=german, language="de", time_zone="Europe/Berlin")

    first = _menu(agent)
    managers = _menu(manager)
    again = _menu(agent)
    germans = _menu(german)

    assert "Queues" in first and "Configure" not in first  # an agent configures nothing
    assert "Configure" in managers and "SLA rules" in managers
    assert again == first  # the agent's menu after the manager's: kept, and not the manager's
    assert "Warteschlangen" in germans and "Queues" not in germans
    assert len(navigation._rendered) == 3
    # nothing of one person is kept: the names are outside the menu
    assert not any(name in html for html in navigation._rendered.values() for name in ("Ann", "Ian"))


def test_the_kept_menu_is_the_menu_rendered_afresh():
    agent = make_user("agent1", groups=["service-desk"])
    navigation._rendered.clear()
    fresh = _menu(agent)
    assert _menu(agent) == fresh
