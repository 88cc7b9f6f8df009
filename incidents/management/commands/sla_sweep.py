from django.core.management.base import BaseCommand

from incidents.sla.sweep import sla_sweep


class Command(BaseCommand):
    help = "Run one SLA sweep now: fire due thresholds and escalation rules (beat does this every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, batch_size: int, **options):
        result = sla_sweep(batch_size=batch_size)
        self.stdout.write(
            f"{result.incidents} incident(s) checked, {result.fired} threshold(s) fired, "
            f"{result.escalated} escalated by rule."
        )
