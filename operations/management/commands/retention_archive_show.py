import gzip
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Print the records of retention archives (*.jsonl.gz), or of one model; loaddata restores them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archives", nargs="+")
        parser.add_argument("--model", help="only this model, e.g. incidents.incidentevent")

    def handle(self, *args, **options) -> None:
        for name in options["archives"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"no such archive: {path}")
            try:
                with gzip.open(path, "rt", encoding="utf-8") as lines:
                    for line in lines:
                        record = json.loads(line)
                        if options["model"] and record.get("model") != options["model"].lower():
                            continue
                        self.stdout.write(json.dumps(record, ensure_ascii=False))
            except (OSError, ValueError) as exc:
                raise CommandError(f"{path} is not a retention archive: {exc}") from exc
