"""``manage.py import_history``: bring in history from a CSV file or django-helpdesk's database.

    manage.py import_history tickets.csv --source OldDesk --mapping mapping.yaml [--dry-run] [--user NAME]
    manage.py import_history --helpdesk /path/helpdesk.sqlite3 --source helpdesk [--dry-run]
    manage.py import_history --helpdesk postgres://reader@host/helpdesk --source helpdesk

Each run is recorded on the import page's list (who, when, file, counts), as one started there is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from history import services
from history.mapping import mapping_from_text
from history.models import ImportRun


class Command(BaseCommand):
    help = "Import resolved and closed tickets of another tool as read-only history (docs/admin/import.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("csv", nargs="?", help="the CSV file (UTF-8, the first line names the columns)")
        parser.add_argument("--mapping", help="the column mapping, a JSON or YAML file (required with a CSV)")
        parser.add_argument("--helpdesk", help="django-helpdesk's database: SQLite file or PostgreSQL URL")
        parser.add_argument("--source", required=True, help="the source tool (ids are unique per source)")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen, write nothing")
        parser.add_argument("--user", help="the username recorded as the importer")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"There is no user {options['user']!r}.")
        try:
            source = services.check_source(options["source"])
            if options["helpdesk"]:
                run = services.import_helpdesk(
                    actor=actor, target=options["helpdesk"], source=source, dry_run=options["dry_run"]
                )
            else:
                run = self._csv(actor, source, options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self._report(run)
        if run.state == ImportRun.State.FAILED:
            raise CommandError(run.error)

    def _csv(self, actor: Any, source: str, options: dict[str, Any]) -> ImportRun:
        if not options["csv"] or not options["mapping"]:
            raise CommandError("Give a CSV file and --mapping, or --helpdesk.")
        path, mapping_path = Path(options["csv"]), Path(options["mapping"])
        for p in (path, mapping_path):
            if not p.is_file():
                raise CommandError(f"There is no file {p}.")
        mapping = mapping_from_text(mapping_path.read_text(encoding="utf-8-sig"))
        with path.open("rb") as binary:
            run = ImportRun(
                kind=ImportRun.Kind.CSV,
                source=source,
                original_name=path.name[:255],
                mapping=mapping.as_dict(),
                dry_run=options["dry_run"],
                started_by=actor,
                state=ImportRun.State.QUEUED,
            )
            # The file is kept with the run, as one uploaded in the page is (the audit's "which file").
            run.file.save(path.name[:100], File(binary), save=False)
        services.check_columns_of(run)
        run.save()
        return services.import_execute(run)

    def _report(self, run: ImportRun) -> None:
        verb = "would create" if run.dry_run else "created"
        self.stdout.write(
            f"{run.processed} rows: {verb} {run.created}, "
            f"already imported {run.unchanged}, refused {run.refused}"
        )
        if run.kind == ImportRun.Kind.HELPDESK:
            self.stdout.write(
                f"  follow-ups: {verb} {run.report.get('comments', 0)} comments, "
                f"refused {run.report.get('comments_refused', 0)}"
            )
        for reason, count in (run.report.get("reasons") or {}).items():
            self.stdout.write(f"  refused {count}: {reason}")
        for kind, names in (run.report.get("would_create") or {}).items():
            self.stdout.write(f"  {kind}: {', '.join(names)}")
