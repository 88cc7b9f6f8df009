from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from operations.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database, the attachments and the Maildir into one archive (docs/operations/backup.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "output",
            nargs="?",
            help="the archive to write (default: servicedesk-backup-<date-time>.tar.gz here)",
        )

    def handle(self, *args, **options) -> None:
        name = options["output"] or f"servicedesk-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        output = Path(name)
        try:
            manifest = backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup: {output} ({manifest['database']['vendor']} database, {len(manifest['files'])} files)"
        )
