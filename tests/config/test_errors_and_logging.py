"""Friendly error pages in the site's style, and the one-line request log without secrets."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from config.middleware import redact_path

pytestmark = pytest.mark.urls("tests.config.error_urls")


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/test-errors/400/", 400, "<h1>"),
        ("/test-errors/403/", 403, "You can't do that here"),
        ("/no/such/page/", 404, "<h1>"),
        ("/test-errors/429/", 429, "Too many requests"),
    ],
)
def test_friendly_error_pages(client, db, url, status, heading):
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert heading in html
    assert "css/hearth.css" in html and 'class="site-header' in html  # the site's own page
    assert "Traceback" not in html


def test_429_page_says_when_and_sets_retry_after(client, db):
    response = client.get("/test-errors/429/")
    assert response["Retry-After"] == "13"
    assert "Please slow down." in response.content.decode()
    htmx = client.get("/test-errors/429/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 429 and htmx["Retry-After"] == "13"
    assert "Try again in 13 seconds" in htmx.content.decode()


def test_500_page_is_friendly_and_hides_the_error(db):
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "css/hearth.css" in html
    assert "boom" not in html and "secret internal detail" not in html


def test_request_log_one_line_no_tokens_no_query(client, db, caplog):
    token = "Xk3_9fJ2-pQ7zLm4Nw8RtY1vBc5dHs6"
    with caplog.at_level(logging.INFO, logger="hearth.request"):
        client.get(f"/invite/{token}/?email=someone@example.com&key=abc")
    lines = [r.getMessage() for r in caplog.records if r.name == "hearth.request"]
    assert len(lines) == 1
    line = lines[0]
    assert "path=/invite/[redacted]/" in line and "status=" in line and "ms=" in line
    assert token not in line and "someone@example.com" not in line and "key=" not in line


def test_redact_path_keeps_ordinary_segments():
    assert redact_path("/c/book-club/t/123/") == "/c/book-club/t/123/"
    assert redact_path("/accounts/password/reset/key/7-abcdefghijklmnopqrstuv/") == (
        "/accounts/password/reset/key/[redacted]/"
    )
