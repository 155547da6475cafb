"""Post bodies' search vector stored in a generated column on PostgreSQL (nothing on SQLite).

Search ranked, filtered and counted matches with to_tsvector(body_md) computed again for every
matching row (and every row of a lossy bitmap page): ~12 s for a word found in 55,000 posts of a
400,000-post community (bench/large.py, bench/RESULTS.md "Large community"). The column
``body_tsv`` is computed by PostgreSQL when a post is written (the model does not declare it;
communities.search.selectors reads it on PostgreSQL), indexed by GIN, and replaces the
expression index post_body_fts of 0003. Adding it rewrites the posts table once.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE communities_post ADD COLUMN IF NOT EXISTS body_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body_md)) STORED",
    "CREATE INDEX IF NOT EXISTS post_body_tsv ON communities_post USING GIN (body_tsv)",
    "DROP INDEX IF EXISTS post_body_fts",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS post_body_fts ON communities_post "
    "USING GIN (to_tsvector('english'::regconfig, body_md))",
    "DROP INDEX IF EXISTS post_body_tsv",
    "ALTER TABLE communities_post DROP COLUMN IF EXISTS body_tsv",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("communities", "0008_thread_title_search_index")]

    operations = [migrations.RunPython(forward, backward)]
