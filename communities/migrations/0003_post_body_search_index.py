"""Full-text index for search on PostgreSQL (nothing on SQLite, which uses a plain fallback).

The expression must match communities.search.selectors.TsVector exactly for the planner to use it.
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
    dependencies = [("communities", "0002_links_to_people")]

    operations = [migrations.RunPython(create_index, drop_index)]
