from django.db import migrations

DEFAULT_MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}

# Full-text search over number, title and description: a stored generated tsvector with a
# GIN index on PostgreSQL. SQLite (the embedded default) searches with a plain LIKE.
PG_SEARCH = """
ALTER TABLE incidents_incident ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(number, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(title, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C')
) STORED;
CREATE INDEX inc_search_tsv ON incidents_incident USING gin (search_tsv);
"""
PG_SEARCH_REVERSE = "DROP INDEX IF EXISTS inc_search_tsv; ALTER TABLE incidents_incident DROP COLUMN IF EXISTS search_tsv;"


def seed(apps, schema_editor):
    Entry = apps.get_model("incidents", "PriorityMatrixEntry")
    Counter = apps.get_model("incidents", "Counter")
    for (impact, urgency), priority in DEFAULT_MATRIX.items():
        Entry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    Counter.objects.get_or_create(name="incident", defaults={"value": 0})


def search_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SEARCH)


def search_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SEARCH_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(search_forward, search_backward),
    ]
