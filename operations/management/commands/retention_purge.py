from django.core.management.base import BaseCommand

from operations.retention import purge


class Command(BaseCommand):
    help = "Archive then purge the rows past their retention now (what the nightly beat task does)."

    def handle(self, *args, **options) -> None:
        for kind, n in purge().items():
            self.stdout.write(f"{kind}: {n} purged")
