import getpass
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from identity.userdata import user_export


class Command(BaseCommand):
    help = "Print everything the product holds about a person as JSON (audited in identity.AccountAudit)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        data = user_export(user=user, actor_label=f"shell:{getpass.getuser()}")
        self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
