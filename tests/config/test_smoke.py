import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_lists_visible_communities_only(client, make_community):
    listed = make_community(name="Listed Circle", visibility="listed")
    secret = make_community(name="Secret Circle", visibility="secret")
    body = client.get(reverse("home")).content.decode()
    assert listed.name in body
    assert secret.name not in body


@pytest.mark.django_db
def test_healthz_reports_database_and_cache(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    data = response.json()
    assert data["database"]["ok"] is True
    assert data["cache"]["ok"] is True
