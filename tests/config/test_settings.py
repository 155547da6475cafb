"""Settings come from the environment; a bad value stops start-up with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings; print('OK', {probe})"


def run_setup(tmp_path: Path, probe: str = "''", **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_", "HEARTH_", "CELERY_", "ACCOUNT_"))
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "HEARTH_TESTING": "false",
            "HEARTH_VAR_DIR": str(tmp_path),
            **env,
        }
    )
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", SETUP.format(probe=probe)],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"DJANGO_DEBUG": "true", "EMAIL_PORT": "abc"}, "EMAIL_PORT"),
        ({"DJANGO_DEBUG": "true", "EMAIL_PORT": "70000"}, "EMAIL_PORT"),
        ({"DJANGO_DEBUG": "true", "DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "true", "REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "true", "ACCOUNT_EMAIL_VERIFICATION": "sometimes"}, "ACCOUNT_EMAIL_VERIFICATION"),
        ({"DJANGO_DEBUG": "true", "EMAIL_BACKEND": "pigeon"}, "EMAIL_BACKEND"),
        ({"DJANGO_DEBUG": "true", "EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_SSL"),
        (
            {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY_FILE": "/nonexistent/secret"},
            "DJANGO_SECRET_KEY_FILE",
        ),
        ({"DJANGO_DEBUG": "true", "HEARTH_INVITE_ONLY_SIGNUP": "sure"}, "HEARTH_INVITE_ONLY_SIGNUP"),
        ({"DJANGO_DEBUG": "true", "SECURE_HSTS_SECONDS": "-5"}, "SECURE_HSTS_SECONDS"),
        (
            {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://u@db/h", "DATABASE_POOLER": "session"},
            "DATABASE_POOLER",
        ),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(tmp_path, env, named):
    result = run_setup(tmp_path, **env)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_no_environment_in_debug_is_the_embedded_default(tmp_path):
    result = run_setup(
        tmp_path,
        probe="settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'], "
        "settings.CELERY_BROKER_URL, settings.DATABASES['default']['NAME']",
        DJANGO_DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "sqlite3" in out and "LocMemCache" in out and "filesystem://" in out
    assert str(tmp_path / "hearth.sqlite3") in out


def test_production_values_are_read(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("a-long-secret-read-from-a-file-0123456789abcdefghijklmnop\n")
    result = run_setup(
        tmp_path,
        probe="settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'], "
        "settings.CACHES['default']['BACKEND'], settings.CELERY_BROKER_URL, settings.SECRET_KEY, "
        "settings.ALLOWED_HOSTS, settings.EMAIL_PORT, settings.DEBUG, settings.CELERY_TASK_ALWAYS_EAGER",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY_FILE=str(secret_file),
        DATABASE_URL="postgres://hearth:pw@db.internal:5432/hearth_prod",
        REDIS_URL="redis://cache.internal:6379/2",
        ALLOWED_HOSTS="hearth.example.org, www.hearth.example.org",
        EMAIL_PORT="587",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "django.db.backends.postgresql" in out and "hearth_prod" in out
    assert "ResilientRedisCache" in out and "redis://cache.internal:6379/2" in out
    assert "a-long-secret-read-from-a-file" in out
    assert "['hearth.example.org', 'www.hearth.example.org']" in out
    assert out.rstrip().endswith("587 False False")  # port, DEBUG off, tasks go to the worker


def test_transaction_pooler_turns_off_server_side_cursors_and_prepared_statements(tmp_path):
    probe = (
        "settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False), "
        "'prepare_threshold' in settings.DATABASES['default'].get('OPTIONS', {}), "
        "settings.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold', 'unset')"
    )
    url = "postgres://hearth@db.internal:6432/hearth"
    pooled = run_setup(
        tmp_path, probe=probe, DJANGO_DEBUG="true", DATABASE_URL=url, DATABASE_POOLER="transaction"
    )
    assert pooled.returncode == 0, pooled.stderr
    assert pooled.stdout.strip() == "OK True True None"
    direct = run_setup(tmp_path, probe=probe, DJANGO_DEBUG="true", DATABASE_URL=url)
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout.strip() == "OK False False unset"
