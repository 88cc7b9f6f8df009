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

# SPEC §6: business calendars and the default policy. Minutes are business minutes on the
# target's calendar (a P1 runs around the clock).
CALENDAR_24X7_SLUG = "24x7"
DEFAULT_CALENDAR_SLUG = "office-hours"
DEFAULT_POLICY_SLUG = "default"
OFFICE_HOURS = [(weekday, "08:00", "18:00") for weekday in range(5)]
# England and Wales bank holidays, so that the demo calendar skips them.
DEFAULT_HOLIDAYS = [
    ("2026-01-01", "New Year's Day"), ("2026-04-03", "Good Friday"), ("2026-04-06", "Easter Monday"),
    ("2026-05-04", "Early May bank holiday"), ("2026-05-25", "Spring bank holiday"),
    ("2026-08-31", "Summer bank holiday"), ("2026-12-25", "Christmas Day"),
    ("2026-12-28", "Boxing Day (substitute)"),
    ("2027-01-01", "New Year's Day"), ("2027-03-26", "Good Friday"), ("2027-03-29", "Easter Monday"),
    ("2027-05-03", "Early May bank holiday"), ("2027-05-31", "Spring bank holiday"),
    ("2027-08-30", "Summer bank holiday"), ("2027-12-27", "Christmas Day (substitute)"),
    ("2027-12-28", "Boxing Day (substitute)"),
]
BUSINESS_DAY = 10 * 60  # minutes in one 08:00-18:00 day
DEFAULT_TARGETS = [
    # priority, response minutes, resolution minutes, calendar (None: the policy's)
    (1, 15, 4 * 60, CALENDAR_24X7_SLUG),
    (2, 30, 8 * 60, None),
    (3, 4 * 60, 3 * BUSINESS_DAY, None),
    (4, BUSINESS_DAY, 5 * BUSINESS_DAY, None),
    (5, 2 * BUSINESS_DAY, 10 * BUSINESS_DAY, None),
]
DEFAULT_OLA_MINUTES = {1: 30, 2: 4 * 60, 3: 2 * BUSINESS_DAY}
# Time to accept per tier. Tier 1 has none: the SLA's response target already measures it.
DEFAULT_OLA_ACCEPT_MINUTES = {2: 60, 3: 2 * 60}
# The points of escalation every support group starts with: (level, target, percent, role).
DEFAULT_ESCALATION_POINTS = [
    (1, "response", 100, "Incident manager"),
    (1, "resolution", 75, "Incident manager"),
    (2, "resolution", 90, "Incident manager"),
    (3, "resolution", 100, "Manager"),
]
# SPEC §5: "tier 1 has not resolved a P2 within 30 minutes".
DEFAULT_ESCALATION_RULES = [
    {"slug": "p2-leaves-tier-1", "name": "Unresolved P2 leaves tier 1 after 30 minutes", "priority": 2,
     "from_tier": 1, "after_minutes": 30, "to_group": "technical-support"},
]

# Issue 13: security incidents go to a restricted tier-3 group; major incidents run on shorter
# targets, around the clock (response, resolution minutes per priority).
SECURITY_GROUP_SLUG = "security"
SECURITY_GROUP = {"slug": SECURITY_GROUP_SLUG, "name": "Security", "kind": "support", "tier": 3}
MAJOR_POLICY_SLUG = "major"
MAJOR_TARGETS = [(1, 10, 2 * 60), (2, 15, 4 * 60), (3, 15, 4 * 60), (4, 30, 8 * 60), (5, 30, 8 * 60)]
MAJOR_OLA_MINUTES = {1: 15, 2: 60, 3: 2 * 60}
