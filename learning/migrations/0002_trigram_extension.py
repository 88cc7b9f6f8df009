"""pg_trgm for the callers' typo-tolerant knowledge search (issue 24 §3); nothing on SQLite."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]

    operations = [TrigramExtension()]
