"""The interactive reference at /api/v1/docs works under the site's CSP: no inline script or
style, no CDN; its assets are served from this site. The schema is at /api/v1/openapi.json."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_docs_page_uses_only_local_assets_under_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assert not re.search(r"(src|href)=\"https?://", html), "no asset from another host"
    assert " style=" not in html
    # The only inline <script> is JSON data (not executed, so the CSP doesn't apply to it).
    for match in re.finditer(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", html, re.S):
        assert 'src="/static/' in match["attrs"] or 'type="application/json"' in match["attrs"]
    for asset in re.findall(r"/static/([^\"]+)", html):
        assert finders.find(asset), asset


def test_schema_is_served_and_describes_every_room(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Hearth API"
    tags = {tag for op in schema["paths"].values() for o in op.values() for tag in o.get("tags", [])}
    assert {"communities", "discussions", "members", "notifications", "moderation", "metrics"} <= tags
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_tokens_page_links_to_the_reference(client, member):
    client.force_login(member.user)
    assert 'href="/api/v1/docs"' in client.get("/settings/tokens/").content.decode()
