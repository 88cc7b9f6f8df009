"""Database triggers that give the SLA configuration a new version on any write (``escalation.config_cache``).

The signals of ``config_cache.watch`` see only ``save()`` and ``delete()``; a trigger sees every
statement too (``QuerySet.update``, raw SQL, a restore), in the writer's transaction, so that no
process can keep using configuration that a committed write has changed. Migrations install
them for their app's tables; PostgreSQL and SQLite (the embedded default) are supported.
"""

from __future__ import annotations

from typing import Any

_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION sd_config_version_bump() RETURNS trigger AS $$ BEGIN "
    "UPDATE escalation_configversion SET token = md5(random()::text || clock_timestamp()::text) "
    "WHERE id = 1; "
    "RETURN NULL; END $$ LANGUAGE plpgsql"
)
_SQLITE_OPS = ("INSERT", "UPDATE", "DELETE")


def install(schema_editor: Any, tables: tuple[str, ...]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(_PG_FUNCTION)
            schema_editor.execute(
                f"CREATE TRIGGER {table}_config_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION sd_config_version_bump()"
            )
        elif vendor == "sqlite":
            for op in _SQLITE_OPS:
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_config_version_{op.lower()} AFTER {op} ON {table} BEGIN "  # noqa: S608
                    "UPDATE escalation_configversion SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
                )


def uninstall(schema_editor: Any, tables: tuple[str, ...]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_config_version ON {table}")
        elif vendor == "sqlite":
            for op in _SQLITE_OPS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_config_version_{op.lower()}")
