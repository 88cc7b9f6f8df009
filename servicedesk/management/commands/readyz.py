"""`manage.py readyz`: the checks of `/readyz` from a shell, for container healthchecks (beat's)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from servicedesk.readiness import CHECKS, OK, run_checks


class Command(BaseCommand):
    help = "Run the readiness checks of /readyz (all, or those named with --check); exit 1 if one fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="append", choices=sorted(CHECKS), help="a check to run (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        states = run_checks(options["check"])
        for name, state in states.items():
            self.stdout.write(f"{name}: {state}")
        failing = sorted(name for name, state in states.items() if state != OK)
        if failing:
            raise CommandError(_("Not ready: %(checks)s") % {"checks": ", ".join(failing)})
