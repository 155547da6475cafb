"""Media in an S3-compatible store (HEARTH_S3_*, django-storages), against a real S3 server.

A local moto server (``moto[server]``, a dev dependency) runs on a free port. The storage settings
are the ones ``config/settings.py`` makes from the HEARTH_S3_* variables in a fresh process; this
process then uses them, uploads an avatar through the real profile settings page, and reads the
object back from the bucket with boto3 (not through Django's storage).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.urls import reverse
from PIL import Image

from members.profiles.models import Profile
from tests.config.test_settings import run_setup
from tests.webnode import free_port

BUCKET = "hearth-media-test"
KEYS = {"HEARTH_S3_ACCESS_KEY_ID": "hearth-test", "HEARTH_S3_SECRET_ACCESS_KEY": "hearth-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - the venv's moto server, fixed arguments
        [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the moto S3 server exited ({process.returncode}); see {log.name}")
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1).close()  # noqa: S310 - local server
                break
            except urllib.error.HTTPError:
                break  # it answers
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the moto S3 server did not answer within 30 s; see {log.name}")
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEYS["HEARTH_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["HEARTH_S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )


def _storage_from_environment(tmp_path: Path, endpoint: str) -> dict:
    """STORAGES["default"] as config/settings.py builds it from the HEARTH_S3_* variables."""
    done = run_setup(
        tmp_path,
        "__import__('json').dumps(settings.STORAGES['default'])",
        DJANGO_DEBUG="true",
        HEARTH_S3_BUCKET=BUCKET,
        HEARTH_S3_ENDPOINT_URL=endpoint,
        HEARTH_S3_REGION="us-east-1",
        **KEYS,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().removeprefix("OK "))


def _png(size: tuple[int, int]) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="PNG")
    out.seek(0)
    out.name = "me.png"
    return out


def test_an_uploaded_avatar_is_stored_in_the_bucket_and_read_back(
    client, member, settings, tmp_path, s3_endpoint, django_capture_on_commit_callbacks
):
    s3 = _client(s3_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    # As the README asks of an operator: anyone may read the avatars (pages link them unsigned).
    public_avatars = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/avatars/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_avatars))
    storage = _storage_from_environment(tmp_path, s3_endpoint)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.MEDIA_ROOT = tmp_path / "media"  # must stay empty: nothing goes to the file system
    settings.STORAGES = {**settings.STORAGES, "default": storage}

    client.force_login(member.user)
    form = {"display_name": "Ada", "bio": "", "links": "", "time_zone": "UTC", "language": "en"}
    answer = client.post(reverse("settings-profile"), {**form, "avatar": _png((900, 500))})
    assert answer.status_code == 302
    profile = Profile.objects.get(user=member.user)
    key = profile.avatar.name
    assert key.startswith("avatars/") and key.endswith(".png")
    # The object is in the bucket: read it back with boto3, as any other node would see it.
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with Image.open(io.BytesIO(body)) as img:
        assert (img.format, img.size) == ("PNG", (256, 256))
    assert not (tmp_path / "media").exists()
    # Pages link the bucket's object (anyone may fetch it, no signature); the app's own avatar
    # URL serves it from the bucket too.
    assert profile.avatar.url == f"{s3_endpoint}/{BUCKET}/{key}"
    with urllib.request.urlopen(profile.avatar.url, timeout=5) as resp:  # noqa: S310 - local server
        assert resp.read() == body
    served = client.get(f"/media/{key}")
    assert served.status_code == 200 and b"".join(served.streaming_content) == body
    # Removing the picture deletes the object once committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("settings-profile"), {**form, "remove_avatar": "on"}).status_code == 302
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="avatars/")
    assert listed.get("KeyCount", 0) == 0, listed.get("Contents")
