from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore an archive made by `backup` into the configured database, MEDIA_ROOT and Maildir."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="drop what the database and the folders already hold (otherwise only an empty database)",
        )

    def handle(self, *args, **options) -> None:
        try:
            manifest = restore(Path(options["archive"]), replace=options["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restore: {manifest['database']['vendor']} database of {manifest['created_at']}, "
            f"{len(manifest['files'])} files; run `manage.py migrate` if the code is newer than the backup"
        )
