"""The default support organisation (SPEC §5), used by the data migration and the demo data."""

DEFAULT_GROUPS: list[dict] = [
    {"slug": "service-desk", "name": "Service Desk", "kind": "support", "tier": 1},
    {"slug": "technical-support", "name": "Technical Support", "kind": "support", "tier": 2},
    {"slug": "network", "name": "Network", "kind": "support", "tier": 3},
    {"slug": "voice", "name": "Voice", "kind": "support", "tier": 3},
    {"slug": "server", "name": "Server", "kind": "support", "tier": 3},
    {"slug": "desktop", "name": "Desktop", "kind": "support", "tier": 3},
    {"slug": "database", "name": "Database", "kind": "support", "tier": 3},
    {"slug": "environment", "name": "Environment", "kind": "support", "tier": 3},
    {"slug": "access", "name": "Access", "kind": "consulted", "tier": None},
    {"slug": "facility", "name": "Facility", "kind": "consulted", "tier": None},
    {"slug": "change-management", "name": "Change Management", "kind": "consulted", "tier": None},
    {"slug": "problem-management", "name": "Problem Management", "kind": "consulted", "tier": None},
]

SERVICE_DESK_SLUG = "service-desk"
