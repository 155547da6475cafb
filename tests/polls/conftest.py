import pytest
from django.core.cache import cache

from communities.polls.services import poll_create


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_poll(db):
    def make(author, thread, *, choices=("Tea", "Coffee", "Water"), question="What do we drink?", **kw):
        return poll_create(author=author, thread=thread, question=question, choices=list(choices), **kw)

    return make
