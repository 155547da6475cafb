"""Settings for several machines: the read replica (DATABASE_REPLICA_URL) and media in an
S3-compatible store (HEARTH_S3_*). Each runs config/settings.py in a fresh process; a bad or
incomplete configuration stops start-up naming the variable. The replica's routing and the S3
upload run for real in tests/metrics/test_replica.py and tests/members/test_avatar_s3.py."""

from __future__ import annotations

import json

import pytest

from tests.config.test_settings import run_setup

PG = "postgres://hearth@db.internal:5432/hearth"
REPLICA = "postgres://hearth@replica.internal:5432/hearth"
BUCKET = {"HEARTH_S3_BUCKET": "hearth-media"}
PROBE = (
    "__import__('json').dumps({'databases': sorted(settings.DATABASES), "
    "'routers': settings.DATABASE_ROUTERS, 'replica': settings.DATABASES.get('replica'), "
    "'media': settings.STORAGES['default']}, default=str)"
)


def _settings(tmp_path, **env: str) -> dict:
    done = run_setup(tmp_path, PROBE, DJANGO_DEBUG="true", **env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().removeprefix("OK "))


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_REPLICA_URL": REPLICA}, "DATABASE_REPLICA_URL"),  # no primary
        ({"DATABASE_URL": PG, "DATABASE_REPLICA_URL": "nonsense://"}, "DATABASE_REPLICA_URL"),
        ({"HEARTH_S3_ENDPOINT_URL": "https://s3.example.org"}, "HEARTH_S3_BUCKET"),
        ({"HEARTH_S3_ADDRESSING_STYLE": "path"}, "HEARTH_S3_BUCKET"),
        ({**BUCKET, "HEARTH_S3_ACCESS_KEY_ID": "AKIA1"}, "HEARTH_S3_SECRET_ACCESS_KEY"),
        ({**BUCKET, "HEARTH_S3_SECRET_ACCESS_KEY": "s3cret"}, "HEARTH_S3_ACCESS_KEY_ID"),
        ({**BUCKET, "HEARTH_S3_ENDPOINT_URL": "minio:9000"}, "HEARTH_S3_ENDPOINT_URL"),
        ({**BUCKET, "HEARTH_S3_CUSTOM_DOMAIN": "https://cdn.example.org"}, "HEARTH_S3_CUSTOM_DOMAIN"),
        ({**BUCKET, "HEARTH_S3_ADDRESSING_STYLE": "sideways"}, "HEARTH_S3_ADDRESSING_STYLE"),
    ],
)
def test_an_incomplete_or_bad_configuration_stops_start_up_naming_the_variable(tmp_path, env, named):
    done = run_setup(tmp_path, DJANGO_DEBUG="true", **env)
    assert done.returncode != 0, done.stdout
    last = done.stderr.splitlines()[-1]
    assert "ImproperlyConfigured" in last and named in last, last


def test_without_the_variables_nothing_changes(tmp_path):
    for env in ({}, {"DATABASE_URL": PG}):
        got = _settings(tmp_path, **env)
        assert got["databases"] == ["default"] and got["routers"] == [] and got["replica"] is None
        assert got["media"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_replica_url_adds_a_mirrored_alias_and_the_router(tmp_path):
    got = _settings(tmp_path, DATABASE_URL=PG, DATABASE_REPLICA_URL=REPLICA, DATABASE_POOLER="transaction")
    assert got["databases"] == ["default", "replica"]
    assert got["routers"] == ["config.replica.ReplicaRouter"]
    replica = got["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("replica.internal", "hearth")
    assert replica["TEST"]["MIRROR"] == "default"
    # The same rules as the primary: health checks, and the pooler's settings.
    assert replica["CONN_HEALTH_CHECKS"] is True and replica["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_s3_variables_make_the_media_storage(tmp_path):
    got = _settings(
        tmp_path,
        **BUCKET,
        HEARTH_S3_ENDPOINT_URL="https://minio.internal:9000",
        HEARTH_S3_ACCESS_KEY_ID="AKIA1",
        HEARTH_S3_SECRET_ACCESS_KEY="s3cret",
        HEARTH_S3_REGION="eu-west-1",
        HEARTH_S3_CUSTOM_DOMAIN="media.example.org",
    )
    assert got["media"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "hearth-media",
            "endpoint_url": "https://minio.internal:9000",
            "access_key": "AKIA1",
            "secret_key": "s3cret",
            "region_name": "eu-west-1",
            "custom_domain": "media.example.org",
            "addressing_style": "path",
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
    # AWS itself: only the bucket (credentials from the machine's role), its own addressing.
    aws = _settings(tmp_path, **BUCKET)["media"]["OPTIONS"]
    assert (aws["endpoint_url"], aws["access_key"], aws["addressing_style"]) == (None, None, "auto")
