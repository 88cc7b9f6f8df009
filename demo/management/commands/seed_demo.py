import os

from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, DEMO_USERS, demo_is_loaded, load_demo


class Command(BaseCommand):
    help = "Load the demo organisation and about six months of incident history, once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--incidents",
            type=int,
            default=int(os.environ.get("DEMO_INCIDENTS", "1500")),
            help="How many incidents of history to write (env DEMO_INCIDENTS; default 1500).",
        )
        parser.add_argument("--days", type=int, default=182, help="How far back the history goes.")

    def handle(self, *args, **options):
        if demo_is_loaded():
            self.stdout.write("Demo data already loaded.")
        else:
            self.stdout.write(
                f"Loading demo data: {options['incidents']} incidents over {options['days']} days…"
            )
            counts = load_demo(incidents=options["incidents"], days=options["days"])
            self.stdout.write(self.style.SUCCESS(f"Loaded {counts['incidents']} incidents."))
        names = ", ".join(u[0] for u in DEMO_USERS)
        self.stdout.write(f"Sign in as any of: {names} (password: {DEMO_PASSWORD})")
