"""Full-text index on thread titles for search on PostgreSQL (nothing on SQLite).

Search matches a thread's title as well as post bodies (communities.search.selectors). Without
this index the title side computed to_tsvector over every thread of the community on each search
(bench/large.py, bench/RESULTS.md "Large community"). The expression must match
communities.search.selectors.TsVector exactly for the planner to use it, like post_body_fts (0003).
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS thread_title_fts ON communities_thread "
        "USING GIN (to_tsvector('english'::regconfig, title))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS thread_title_fts")


class Migration(migrations.Migration):
    dependencies = [("communities", "0007_polls_tags_highlights_needs_reply")]

    operations = [migrations.RunPython(create_index, drop_index)]
