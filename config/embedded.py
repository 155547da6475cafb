"""``make run``: the embedded default in one process tree.

Migrates, seeds the demo (idempotent), starts a Celery worker with embedded beat on kombu's
filesystem transport (no Redis needed) and the development web server, and stops both when
interrupted (Ctrl-C, or SIGTERM from a supervisor or ``timeout``).

The web server runs with ``DEBUG`` off (a generated secret kept in the var folder, plain http
allowed, static files collected once), so visitors see Hearth's own 404/403 pages rather than
Django's debug pages; ``HEARTH_RUN_DEBUG=true`` keeps Django's debug pages. Seeding sends no
email (no backlog of demo notification mails in ``var/mail``). The demo logins are printed
last, once the server answers.

    python -m config.embedded --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import argparse
import os
import secrets
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


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(var_dir: Path) -> str:
    """A per-installation secret for the non-debug web server, kept in the var folder."""
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def web_environment(env: dict[str, str], host: str, var_dir: Path) -> dict[str, str]:
    """The web server's settings: debug pages off unless HEARTH_RUN_DEBUG asks for them."""
    if _truthy(env.get("HEARTH_RUN_DEBUG")):
        return {**env, "DJANGO_DEBUG": "true"}
    hosts = dict.fromkeys([host, "localhost", "127.0.0.1", "[::1]"])
    return {
        **env,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or _secret_key(var_dir),
        "ALLOWED_HOSTS": env.get("ALLOWED_HOSTS") or ",".join(hosts),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
    }


def _wait_until_serving(url: str, web: subprocess.Popen, timeout: float = 60) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return True
        except OSError:
            time.sleep(0.3)
    return False


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
    # The demo's notification emails go nowhere (locmem), so no mail backlog is written.
    setup_env = {**env, "CELERY_TASK_ALWAYS_EAGER": "true", "EMAIL_BACKEND": "locmem"}
    web_env = web_environment(env, args.host, var_dir)
    logins = ""
    steps: list[tuple[list[str], dict[str, str]]] = [
        (["migrate", "--noinput"], setup_env),
        (["seed_demo"], setup_env),
    ]
    if web_env["DJANGO_DEBUG"] == "false":
        steps.append((["collectstatic", "--noinput", "--verbosity", "0"], web_env))
    for step, step_env in steps:
        capture = step == ["seed_demo"]
        result = subprocess.run(  # noqa: S603
            [py, manage, *step], env=step_env, cwd=BASE_DIR, check=False, capture_output=capture, text=capture
        )
        if capture:
            # Everything but the logins now; the logins last, once the server answers.
            out = result.stdout or ""
            head, sep, tail = out.partition("\nDemo logins")
            print(head.rstrip("\n"), flush=True)
            if result.stderr:
                print(result.stderr, file=sys.stderr, end="", flush=True)
            logins = (sep + tail).strip("\n")
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
        [py, manage, "runserver", f"{args.host}:{args.port}"],
        env=web_env,
        cwd=BASE_DIR,
        start_new_session=True,
    )
    _wait_until_serving(f"http://{args.host}:{args.port}/healthz", web)
    print(
        f"Hearth is up on http://{args.host}:{args.port}/ "
        f"(set up in {time.monotonic() - started:.0f}s). Press Ctrl-C to stop.",
        flush=True,
    )
    if logins:
        print("\n" + logins, flush=True)
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
