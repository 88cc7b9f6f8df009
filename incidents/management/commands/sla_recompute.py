from django.core.management.base import BaseCommand

from incidents.sla.sweep import sla_recompute


class Command(BaseCommand):
    help = "Recompute the SLA due times of open incidents after a calendar or policy change."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        count = sla_recompute(batch_size=batch_size)
        self.stdout.write(f"{count} open incident(s) recomputed.")
