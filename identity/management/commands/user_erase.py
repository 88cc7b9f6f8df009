import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from identity.userdata import user_erase


class Command(BaseCommand):
    help = (
        "Erase a person: personal fields anonymised, their incidents kept under a pseudonym, audit rows kept "
        "(audited in identity.AccountAudit)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, username, yes, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        if not yes and input(f"Erase {username}? This cannot be undone. [y/N] ").strip().lower() != "y":
            raise CommandError("Nothing erased.")
        pseudonym = user_erase(user=user, actor_label=f"shell:{getpass.getuser()}")
        self.stdout.write(f"{username} erased: the account is now {pseudonym}.")
