"""Large-community bench: 10,000 members, 1,000,000 posts, 50 communities on PostgreSQL.

Usage (from the project root; nice it, seeding is heavy):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hearth_bigbench REDIS_URL=redis://127.0.0.1:6379/12 \
        nice -n 10 .venv/bin/python bench/large.py [--reseed] [--seconds 20] [--clients 8] [--port 8400]

1. Seeds the database once (reused when present; ``--reseed`` drops and recreates it): 10,000
   members in 1-8 communities each (~29,500 memberships; the largest community has ~80 % of the
   members), 50 communities of Zipf-like sizes (the largest ~400,000 posts), ~69,000 threads of
   varied length (mean ~14 posts, five threads of 1,000 posts), ~1,000,000 posts (0.5 % removed by a moderator, 0.2 % held),
   reactions, read states, follows, flags. Small tables go through the models (``bulk_create``);
   posts, reactions and read states through COPY into the models' tables. Bodies are a pool of
   3,000 distinct Markdown texts rendered once with ``communities.markdown.render_markdown`` (the
   service's renderer) and reused. The search indexes (GIN, migrations communities 0003/0009) are
   dropped during the load and rebuilt after it; then ``ANALYZE``. The seeding code is in
   bench/large_seed.py.
2. Starts gunicorn (``config.wsgi``, production settings as in bench/load.py, 2 sync workers)
   on 127.0.0.1 with Redis, and drives ``--clients`` concurrent signed-in members (threads with
   urllib) for ``--seconds`` per scenario: the first and last page of a 1,000-post thread,
   ordinary threads, the community home (thread list), community search, and reply POST. Sessions
   are made in-process with ``Client.force_login`` (the database session store is shared with
   gunicorn), so no password hashing is timed. Replies come from a pool of 400 members in turn,
   so no member posts more than once every few seconds: the posting rate limit stays on and is
   never hit. Replies made by the run are deleted at the end, so the data shape is stable.
3. Reports p50/p95 per kind and the 5xx count; any 5xx or unexpected status fails the run.
4. Before the load, finds the slowest SQL statements in an in-process pass over the same pages
   (the first three URLs of each kind, twice, as one signed-in member; every SELECT timed by
   ``connection.execute_wrapper``: the shared cluster is not restarted to preload
   ``pg_stat_statements``), and prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the three slowest
   distinct statements and of the slowest of each page kind, with their real parameters (also
   written to var/large/explain.txt). ``--explain-only`` skips the HTTP load.
   The reply POST row times the POST only (its form's GET, for the CSRF token and submission
   key, is not counted).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.large_seed import POSTERS, POSTERS_FROM, READERS_FROM, REPLY_MARK, seed, seeded  # noqa: E402
from bench.load import _create_database, _env, pct  # noqa: E402

# --- Load: concurrent signed-in members against gunicorn ------------------------------------------


class Session:
    """Cookies of one signed-in member (a session made in-process, shared with gunicorn via the DB)."""

    def __init__(self, base: str, sessionid: str) -> None:
        self.base = base
        self.cookies = {"sessionid": sessionid}
        self.opener = urllib.request.build_opener(_NoRedirect())
        self.lock = threading.Lock()

    def request(self, url: str, data: dict | None = None) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + url, data=body)  # noqa: S310 - loopback only
        req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as resp:
                status, text, headers = resp.status, resp.read().decode("utf-8", "replace"), resp.headers
        except urllib.error.HTTPError as exc:
            status, text, headers = exc.code, exc.read().decode("utf-8", "replace"), exc.headers
        except OSError:  # a timeout or a dropped connection: counted as a server error
            return 599, "", (time.perf_counter() - started) * 1000
        elapsed = (time.perf_counter() - started) * 1000
        for value in headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, text, elapsed


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _reply(poster: Session, thread_url: str, n: int) -> tuple[int, float]:
    """GET the thread (untimed: the form's CSRF token and submission key), then the timed POST."""
    status, html, _ = poster.request(thread_url)
    form = re.search(r'<form[^>]+action="(/c/[^"]+/t/\d+/reply/)"', html)
    if status != 200 or form is None:
        return (status if status != 200 else 599), 0.0
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    key = re.search(r'name="submission_key" value="([^"]+)"', html)
    data = {
        "csrfmiddlewaretoken": token.group(1) if token else "",
        "submission_key": key.group(1) if key else "",
        "body": f"{REPLY_MARK} {n} {secrets.token_hex(4)}",
    }
    status, _, ms = poster.request(form.group(1), data)
    return status, ms


def run_scenario(
    kind: str, urls: list[str], readers: list[Session], posters: list[Session], seconds: float
) -> dict:
    """``len(readers)`` clients loop over ``urls`` for ``seconds``; returns timings and statuses."""
    rows: list[tuple[int, float]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))
    load_before = os.getloadavg()

    def client(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < deadline:
            url = rng.choice(urls)
            if kind == "reply POST":
                with lock:
                    n = next(counter)
                poster = posters[n % len(posters)]
                with poster.lock:  # a poster is used by one client at a time
                    status, ms = _reply(poster, url, n)
                ok = status in (302, 303)
            else:
                status, _, ms = readers[index].request(url)
                ok = status == 200
            with lock:
                rows.append((status if ok or status >= 500 else -status, ms))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(readers))]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    wall = time.monotonic() - started
    times = [ms for _, ms in rows]
    return {
        "kind": kind,
        "n": len(rows),
        "rps": len(rows) / wall,
        "p50": statistics.median(times) if times else float("nan"),
        "p95": pct(times, 95),
        "5xx": sum(1 for s, _ in rows if s >= 500),
        "unexpected": sorted({-s for s, _ in rows if s < 0}),
        "load": (load_before[0], os.getloadavg()[0]),
    }


# --- Slowest statements: an in-process pass timed per statement -----------------------------------


def slowest_statements(pages: dict[str, list[str]], reader_id: int, top: int = 3) -> str:
    """Request each page in-process, time every SELECT, EXPLAIN (ANALYZE, BUFFERS) the slowest."""
    from django.db import connection
    from django.test import Client

    from members.models import User

    timings: dict[str, list[tuple[float, object, str]]] = defaultdict(list)

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.lstrip().upper().startswith("SELECT"):
                timings[sql].append(((time.perf_counter() - started) * 1000, params, current[0]))

    client = Client()
    client.force_login(User.objects.get(pk=reader_id))
    current = [""]
    with connection.execute_wrapper(wrapper):
        for kind, urls in pages.items():
            current[0] = kind
            for url in urls[:3] * 2:
                status = client.get(url).status_code
                if status != 200:
                    raise SystemExit(f"in-process pass: {url} answered {status}")
    ranked = sorted(timings.items(), key=lambda kv: -statistics.mean(ms for ms, _, _ in kv[1]))
    out = ["Slowest SELECT statements (mean ms over the in-process pass):"]
    for sql, rows in ranked[:10]:
        out.append(
            f"  {statistics.mean(ms for ms, _, _ in rows):8.1f} ms x{len(rows):<3} [{rows[0][2]}] {sql[:150]}"
        )
    # The three slowest, then the slowest of each page kind not among them (for its seq scans).
    chosen = ranked[:top]
    for kind in pages:
        mine = [kv for kv in ranked if kv[1][0][2] == kind]
        if mine and mine[0] not in chosen:
            chosen.append(mine[0])
    for sql, rows in chosen:
        _, params, kind = max(rows, key=lambda r: r[0])
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        with connection.cursor() as cur:
            literal = cur.mogrify(sql, params) if hasattr(cur, "mogrify") else sql
        out += ["", f"--- [{kind}] mean {statistics.mean(m for m, _, _ in rows):.1f} ms", str(literal), plan]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reseed", action="store_true", help="drop and recreate the database, then seed")
    parser.add_argument("--seconds", type=float, default=20, help="load per scenario (at most 120)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--explain-only", action="store_true", help="skip the HTTP load")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("Set DATABASE_URL (PostgreSQL) and REDIS_URL.", file=sys.stderr)
        return 2
    env = _env()
    env.update(
        {"HEARTH_VAR_DIR": str(ROOT / "var" / "large"), "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"}
    )
    if args.reseed:
        import psycopg

        parsed = urllib.parse.urlparse(url)
        admin = urllib.parse.urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')
    _create_database(url)
    for cmd in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, check=True)  # noqa: S603
    os.environ.update(
        {k: v for k, v in env.items() if k not in os.environ or k.startswith(("DJANGO", "HEARTH", "ALLOWED"))}
    )
    import django

    django.setup()
    import redis
    from django.db import connection
    from django.test import Client

    from communities.discussions.models import Post, Thread
    from members.models import User

    if not seeded():
        print("Seeding (once; --reseed to start over) ...", flush=True)
        started = time.perf_counter()
        seed()
        print(f"Seeded in {time.perf_counter() - started:.0f}s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # our Redis db: cache, rate limits, queue
    big = list(
        Thread.objects.filter(
            community__slug="large-00", reply_count__gte=900, space__min_role=""
        ).select_related("community")
    )
    rng = random.Random(7)
    ordinary = list(
        Thread.objects.filter(
            community__slug="large-00",
            reply_count__range=(10, 60),
            removed_at__isnull=True,
            space__min_role="",
        ).select_related("community")[:2000]
    )
    ordinary = rng.sample(ordinary, min(200, len(ordinary)))
    pages = {
        "thread, 1,000 posts, first page": [t.get_absolute_url() for t in big],
        "thread, 1,000 posts, last page": [t.get_absolute_url() + "?page=last" for t in big],
        "thread, ordinary (10-60 posts)": [t.get_absolute_url() for t in ordinary],
        "thread list, largest community": ["/c/large-00/"],
        "thread list, other communities": ["/c/large-01/", "/c/large-05/", "/c/large-20/", "/c/large-49/"],
        "search, largest community": [
            f"/c/large-00/search/?q={urllib.parse.quote(q)}"
            for q in ("sourdough", "garden", "lighthouse harbour", "kalomir3", "deploy backup")
        ],
    }
    readers = list(
        User.objects.filter(handle__startswith="m").order_by("handle")[
            READERS_FROM : READERS_FROM + args.clients
        ]
    )
    posters = list(
        User.objects.filter(handle__startswith="m").order_by("handle")[POSTERS_FROM : POSTERS_FROM + POSTERS]
    )
    shape = (
        f"{User.objects.count():,} users, {Post.objects.count():,} posts, {Thread.objects.count():,} threads"
    )
    print("Data:", shape, flush=True)
    explain = slowest_statements(pages, readers[0].pk)
    (ROOT / "var" / "large").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "large" / "explain.txt").write_text(explain + "\n")
    print(explain, flush=True)
    if args.explain_only:
        return 0

    base = f"http://127.0.0.1:{args.port}"

    def session(user: User) -> Session:
        c = Client()
        c.force_login(user)
        return Session(base, c.cookies["sessionid"].value)

    reader_sessions = [session(u) for u in readers]
    poster_sessions = [session(u) for u in posters]
    max_post = Post.objects.order_by("-pk").values_list("pk", flat=True).first()
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    results = []
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.2)
        for urls in pages.values():  # warm the workers (templates, connections) once per page kind
            for u in urls[:2]:
                reader_sessions[0].request(u)
        seconds = min(args.seconds, 120)
        for kind, urls in [*pages.items(), ("reply POST", [t.get_absolute_url() for t in ordinary])]:
            results.append(run_scenario(kind, urls, reader_sessions, poster_sessions, seconds))
            r = results[-1]
            print(
                f"  {kind}: n={r['n']} p50={r['p50']:.0f} p95={r['p95']:.0f} 5xx={r['5xx']} other={r['unexpected']}",
                flush=True,
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # workers stuck in a long request: stop them
            server.kill()
            server.wait(timeout=30)
        made = Post.objects.filter(pk__gt=max_post, body_md__startswith=REPLY_MARK)
        print(f"Removing the {made.count()} replies made by the run", flush=True)
        made.delete()
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()

    print(
        f"\nLarge community: {shape}; gunicorn {args.workers} sync workers; {args.clients} clients; {seconds:.0f}s per row"
    )
    print(f"Machine: {os.cpu_count()} cores; load average (1 min) before/after each row in the last column\n")
    print("| request | n | req/s | p50 ms | p95 ms | 5xx | load avg |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['kind']} | {r['n']} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['5xx']} | {r['load'][0]:.2f} → {r['load'][1]:.2f} |"
        )
    failed = [r["kind"] for r in results if r["5xx"] or r["unexpected"] or not r["n"]]
    print("\nRESULT:", "ok" if not failed else f"FAILED ({', '.join(failed)})")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
