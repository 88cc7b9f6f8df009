from django.db import migrations

# Suggestions look up published articles only: a partial GIN index over them replaces the index on every
# article, so that the look-up needs no second index for the status (``knowledge.search.suggest``).
FORWARD = """
CREATE INDEX kb_article_suggest_published ON knowledge_article USING gin (suggest_tsv) WHERE status = 'published';
DROP INDEX IF EXISTS kb_article_suggest_tsv;
"""
BACKWARD = """
CREATE INDEX kb_article_suggest_tsv ON knowledge_article USING gin (suggest_tsv);
DROP INDEX IF EXISTS kb_article_suggest_published;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_article_search")]

    operations = [migrations.RunPython(forward, backward)]
