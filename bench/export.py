"""Export/import benchmark: a community of N posts (default 100,000) written to an archive and
imported back, with wall time and peak Python memory (tracemalloc).

Run on its own database, e.g.:

    HEARTH_VAR_DIR=/tmp/hearth-bench-export DJANGO_DEBUG=true .venv/bin/python bench/export.py --posts 100000

(or with DATABASE_URL=postgres://.../hearth_bench_export). Results go in bench/RESULTS.md, "Export".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.seed_export import seed_big_community  # noqa: E402
from communities.discussions.models import Post  # noqa: E402
from communities.models import Community  # noqa: E402
from communities.portability.load import import_archive  # noqa: E402
from communities.portability.validate import open_archive, validate_archive  # noqa: E402
from communities.portability.writer import write_archive  # noqa: E402


def measure(fn, *, memory: bool):
    if memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    if memory:
        tracemalloc.stop()
    return result, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    slug = f"bench-{args.posts}"
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        t = time.perf_counter()
        community = seed_big_community(slug, posts=args.posts, members=args.members)
        print(f"seeded {args.posts:,} posts in {time.perf_counter() - t:.1f}s")
    posts = Post.objects.filter(community=community).count()
    print(f"database: {connection.vendor}; community {slug}: {posts:,} posts")
    out = Path(tempfile.mkdtemp()) / f"{slug}.zip"

    def export() -> dict:
        with open(out, "wb") as fh:
            return write_archive(community, fh)

    _, t_export, _ = measure(export, memory=False)
    size = out.stat().st_size
    _, t_export_traced, peak_export = measure(export, memory=True)
    print(
        f"export: {t_export:.1f}s, archive {size / 1e6:.1f} MB, "
        f"peak {peak_export / 1e6:.1f} MB (traced run {t_export_traced:.1f}s)"
    )

    def validate() -> None:
        with open_archive(out) as zf:
            validate_archive(zf)

    _, t_validate, peak_validate = measure(validate, memory=True)
    print(f"validate: {t_validate:.1f}s (traced), peak {peak_validate / 1e6:.1f} MB")
    if not args.skip_import:
        result, t_import, _ = measure(lambda: import_archive(out, slug=f"{slug}-copy"), memory=False)
        print(
            f"import (validate + write, re-render Markdown): {t_import:.1f}s -> /c/{result.community.slug}/"
        )
        copy_posts = Post.objects.filter(community=result.community).count()
        print(f"imported posts: {copy_posts:,}")


if __name__ == "__main__":
    main()
