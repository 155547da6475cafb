"""The archive is written in bounded memory: peak allocation does not grow with the post count.

(Speed is measured in bench/export.py; this test only measures memory, with tracemalloc.)
"""

from __future__ import annotations

import tracemalloc

import pytest

from bench.seed_export import seed_big_community
from communities.discussions.models import Post
from communities.portability.writer import write_archive

pytestmark = pytest.mark.django_db


def _peak_export(community, path) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with open(path, "wb") as fh:
            write_archive(community, fh)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _peak_load_all(community) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        everything = list(Post.objects.filter(community=community))
        peak = tracemalloc.get_traced_memory()[1]
        del everything
        return peak
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_size(tmp_path):
    small = seed_big_community("mem2k", posts=2_000, members=50)
    large = seed_big_community("mem5k", posts=5_000, members=50)
    peak_small = _peak_export(small, tmp_path / "small.zip")
    peak_large = _peak_export(large, tmp_path / "large.zip")
    load_all = _peak_load_all(large)
    # 2.5 times the posts, about the same memory: rows stream through in fixed-size chunks.
    assert peak_large < peak_small * 1.25 + 256_000, (peak_small, peak_large)
    # And well under what holding the posts in memory takes.
    assert peak_large < load_all / 2, (peak_large, load_all)
