"""``make run``: the embedded default in one process tree.

Migrates, seeds the demo (idempotent), starts a Celery worker with embedded beat on kombu's
filesystem transport (no Redis needed) and the development web server, and stops both when
interrupted (Ctrl-C, or SIGTERM from a supervisor or ``timeout``).

    python -m config.embedded --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent


def _stop(process: subprocess.Popen | None, name: str, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop within {timeout:.0f}s; killing it.", flush=True)
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "true")
    env.setdefault("SITE_URL", f"http://{args.host}:{args.port}")  # links in emails and the demo output
    # Tasks go to the embedded worker instead of running inside the web request.
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    if env.get("REDIS_URL"):
        print("Note: REDIS_URL is set, so the worker uses Redis rather than the filesystem broker.")
    var_dir = Path(env.get("HEARTH_VAR_DIR") or BASE_DIR / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    manage = str(BASE_DIR / "manage.py")

    started = time.monotonic()
    # Set-up steps run their tasks in-process (eager), so seeding does not leave a backlog of
    # queued jobs; only the web server below hands tasks to the worker.
    setup_env = {**env, "CELERY_TASK_ALWAYS_EAGER": "true"}
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        result = subprocess.run([py, manage, *step], env=setup_env, cwd=BASE_DIR, check=False)  # noqa: S603
        if result.returncode != 0:
            print(f"`manage.py {' '.join(step)}` failed; not starting.", file=sys.stderr)
            return result.returncode

    worker: subprocess.Popen | None = None
    web: subprocess.Popen | None = None
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    log_path = var_dir / "worker.log"
    with open(log_path, "ab") as log:
        # Own session: Ctrl-C in the terminal reaches us, and we stop the worker cleanly ourselves.
        worker = subprocess.Popen(  # noqa: S603
            [py, "-m", "celery", "-A", "config", "worker", "--beat", "--pool=solo", "--loglevel=INFO",
             "-n", f"embedded-{os.getpid()}@%h", f"--schedule={var_dir / 'celerybeat-schedule'}"],
            env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    (var_dir / "worker.pid").write_text(str(worker.pid))
    print(f"Embedded Celery worker + beat started (pid {worker.pid}, log: {log_path}).", flush=True)
    web = subprocess.Popen(  # noqa: S603
        [py, manage, "runserver", f"{args.host}:{args.port}"], env=env, cwd=BASE_DIR, start_new_session=True
    )
    print(
        f"Hearth is starting on http://{args.host}:{args.port}/ "
        f"(set up in {time.monotonic() - started:.0f}s). Press Ctrl-C to stop.",
        flush=True,
    )
    code = 0
    try:
        while not stopping:
            if web.poll() is not None:
                code = web.returncode
                break
            if worker.poll() is not None:
                print(f"The embedded worker exited ({worker.returncode}); see {log_path}.", flush=True)
                code = worker.returncode or 1
                break
            time.sleep(0.5)
    finally:
        print("\nStopping Hearth…", flush=True)
        _stop(web, "web server")
        _stop(worker, "worker")
        (var_dir / "worker.pid").unlink(missing_ok=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
