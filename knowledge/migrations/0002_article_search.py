from django.db import migrations

# Full-text search over articles: a stored generated tsvector, weighted title (A) above symptoms (B)
# above workaround and resolution (C) and cause (D), with a GIN index, on PostgreSQL; and a small
# one of title (A) and symptoms (B) for suggestions, which stays quick to scan and rank at scale. SQLite (the
# embedded default) has no column: ``knowledge.search`` matches with LIKE and ranks in SQL.
PG_SEARCH = """
ALTER TABLE knowledge_article ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(symptoms, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(workaround, '') || ' ' || coalesce(resolution, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(cause, '')), 'D')
) STORED;
CREATE INDEX kb_article_search_tsv ON knowledge_article USING gin (search_tsv);
ALTER TABLE knowledge_article ADD COLUMN suggest_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(symptoms, '')), 'B')
) STORED;
CREATE INDEX kb_article_suggest_tsv ON knowledge_article USING gin (suggest_tsv);
"""
PG_SEARCH_REVERSE = (
    "DROP INDEX IF EXISTS kb_article_search_tsv; DROP INDEX IF EXISTS kb_article_suggest_tsv; "
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_tsv, DROP COLUMN IF EXISTS suggest_tsv;"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SEARCH)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SEARCH_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
