"""API tokens moved from rest_framework.authtoken (stored in clear, never expiring) to django-rest-knox
(hashed, expiring). The old table is dropped: its tokens stop working and clients request new ones."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knox", "0009_extend_authtoken_field")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
    ]
