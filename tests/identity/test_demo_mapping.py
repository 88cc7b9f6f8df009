"""The demo's group mapping (demo/identity.py): loaded once, each row granting what it names."""

import pytest

from demo.identity import MAPPINGS, load_identity_demo
from identity.models import DirectoryGroupMapping

pytestmark = pytest.mark.django_db


def test_the_demo_maps_the_directory_groups_once():
    load_identity_demo()
    load_identity_demo()
    assert DirectoryGroupMapping.objects.count() == len(MAPPINGS)
    agents = DirectoryGroupMapping.objects.get(directory_group="sd-agents")
    assert agents.support_group is not None and agents.support_group.slug == "service-desk"
