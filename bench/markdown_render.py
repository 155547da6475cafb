"""Markdown render speed on ~1,000 typical posts, and a check that two renderers agree.

    .venv/bin/python -m bench.markdown_render [path/to/other_markdown.py]

With a path, that module's ``render_markdown`` is timed too and its output compared post by post
(used to compare the per-call Markdown instance with the per-thread reused one).
"""

from __future__ import annotations

import importlib.util
import sys
import time

SAMPLES = [
    "Hello **there**, thanks for the [link](https://example.com).",
    "I agree with @alice_b on this.\n\n> Quoted text here\n> and more\n\nMy reply.",
    "A list:\n\n- one\n- two\n- three\n\n1. first\n2. second",
    "```python\nprint('hi <b>')\n```\n\nCode above, `inline` too.",
    "| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |",
    "Line one\nLine two\n\n## A heading\n\n*emph* and _emph_ and ~~not strike~~.",
    "<script>alert(1)</script> raw html is text; see https://example.org/page?x=1",
    "![img](https://example.com/a.png) and ![bad](http://example.com/b.png)",
    "Plain short reply.",
    "Paragraph " * 60,
]


def posts(n: int = 1000) -> list[str]:
    return [f"{SAMPLES[i % len(SAMPLES)]}\n\nPost number {i} mentions @user{i % 37}." for i in range(n)]


def _time(render, sources: list[str]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    out = [render(s, mention_url="/u/{handle}/") for s in sources]
    return time.perf_counter() - start, out


def main() -> None:
    from communities.markdown import render_markdown

    sources = posts()
    render_markdown(sources[0])  # imports and extension loading out of the measurement
    results = {}
    if len(sys.argv) > 1:
        spec = importlib.util.spec_from_file_location("other_markdown", sys.argv[1])
        other = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(other)
        other.render_markdown(sources[0])
        results["other"] = _time(other.render_markdown, sources)
    results["current"] = _time(render_markdown, sources)
    for name, (secs, _) in results.items():
        print(f"{name:8s} {len(sources)} posts: {secs:.3f} s ({secs / len(sources) * 1000:.2f} ms/post)")
    if "other" in results:
        same = sum(a == b for a, b in zip(results["other"][1], results["current"][1], strict=True))
        print(f"identical output: {same}/{len(sources)}")


if __name__ == "__main__":
    import django

    django.setup()
    main()
