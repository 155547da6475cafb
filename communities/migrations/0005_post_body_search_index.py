"""Full-text index for search on PostgreSQL (nothing on SQLite, which uses a plain fallback).

The expression must match communities.selectors.TsVector exactly for the planner to use it.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS post_body_fts ON communities_post "
        "USING GIN (to_tsvector('english'::regconfig, body_md))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS post_body_fts")


class Migration(migrations.Migration):
    dependencies = [("communities", "0004_merge_export_jobs_and_rituals")]

    operations = [migrations.RunPython(create_index, drop_index)]
