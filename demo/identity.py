"""The demo's directory group mapping (identity/): what an organisation's provider groups would grant.

Nothing signs in through a provider in the demo by default; docs/admin/sign-in.md shows how to start the test
provider and sign in as `sso-agent`, whose `sd-agents` group these rows map.
"""

from __future__ import annotations

from escalation.choices import Role
from escalation.models import SupportGroup
from identity.models import DirectoryGroupMapping

# directory group, role, support group slug (or None), lead of that group
MAPPINGS: list[tuple[str, str, str | None, bool]] = [
    ("sd-agents", Role.AGENT, "service-desk", False),
    ("sd-technical", Role.TECHNICAL, "technical-support", False),
    ("sd-network", Role.HARDWARE_SOFTWARE, "network", False),
    ("sd-incident-managers", Role.INCIDENT_MANAGER, None, False),
    ("sd-managers", Role.MANAGER, None, False),
]


def load_identity_demo() -> None:
    for directory_group, role, slug, is_lead in MAPPINGS:
        group = SupportGroup.objects.filter(slug=slug).first() if slug else None
        DirectoryGroupMapping.objects.get_or_create(
            directory_group=directory_group, role=role, support_group=group, defaults={"is_lead": is_lead}
        )
