"""`make run`'s launcher (config/embedded.py) end to end: it migrates, seeds, serves, runs a
worker on the filesystem broker that executes what the web side enqueues, and stops it all."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test server
            return response.read().decode()
    except OSError:
        return None


def test_embedded_run_serves_demo_runs_tasks_and_stops_cleanly(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "HEARTH_", "CELERY_", "DJANGO_"))
    }
    # The web server runs with DEBUG off (Hearth's own error pages), so /healthz shows its details
    # to an operator presenting the token.
    env.update(
        {"HEARTH_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "true", "HEARTH_HEALTHZ_TOKEN": "embedded-test"}
    )
    port = free_port()
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        launcher = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "config.embedded", "--port", str(port)],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker_pid = None
    try:
        home = wait_until(lambda: get(f"http://127.0.0.1:{port}/"), 600, "serving the home page", log)
        assert "Night Owls Writing Circle" in home and "Founders" not in home
        # Hearth's own 404 page (not Django's debug page), with a way back.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/c/night-owls/t/999999/", timeout=5)
        except urllib.error.HTTPError as exc:
            page = exc.read().decode()
            assert exc.code == 404 and "Page not found" in page and "Back to the community" in page
            assert "Django tried these URL patterns" not in page and "technical" not in page.lower()
        else:
            pytest.fail("a missing thread did not answer 404")

        # The demo logins are the last lines of the start-up output, with who owns what.
        def logins_printed() -> str | None:
            text = log.read_text(errors="replace")
            return text if "Open http" in text else None

        start_up = wait_until(logins_printed, 30, "the demo logins", log)
        tail = start_up[start_up.index("Hearth is up") :]
        assert "Demo logins" in tail
        assert re.search(r"owner: .* owns .*Night Owls Writing Circle", tail)
        assert re.search(r"moderator: .* moderates .*Night Owls Writing Circle", tail)
        # Seeding wrote no email backlog.
        mail = tmp_path / "mail"
        assert not mail.exists() or not any(mail.iterdir())
        worker_pid = int((tmp_path / "worker.pid").read_text())
        worker_log = tmp_path / "worker.log"
        wait_until(lambda: worker_log.exists() and " ready." in worker_log.read_text(), 180, "ready", log)

        # Enqueue from a separate process with the web settings (tasks not eager): the embedded
        # worker must pick it up from the filesystem queue.
        enqueue = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from config.tasks import heartbeat; heartbeat.delay(token='from-the-web-side')"],
            cwd=BASE_DIR, env={**env, "CELERY_TASK_ALWAYS_EAGER": "false"}, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert enqueue.returncode == 0, enqueue.stderr
        beat_file = tmp_path / "worker-heartbeat.json"

        def beat_from_worker():
            if not beat_file.exists():
                return None
            beat = json.loads(beat_file.read_text())
            return beat if beat["token"] == "from-the-web-side" else None

        beat = wait_until(beat_from_worker, 180, "the worker running the enqueued task", worker_log)
        assert beat["pid"] == worker_pid
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"Authorization": "Bearer embedded-test"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - local test server
            health = json.loads(response.read().decode())
        assert health["worker"]["last_heartbeat"] is not None
        assert health["broker"] == {**health["broker"], "ok": True, "transport": "filesystem"}
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            raise
    assert launcher.returncode == 0
    assert worker_pid is not None and not alive(worker_pid)
    assert get(f"http://127.0.0.1:{port}/") is None  # the web server is gone too
