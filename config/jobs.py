"""The one way a service starts background work: by task name, after its transaction commits.

Services never import task modules (tasks import services, so that would be an import cycle);
they name the task instead::

    enqueue_on_commit("communities.tasks.notify_post", post.pk, False)

The name is the task's explicit ``name=`` (stable across moves). After the commit the task is
looked up in Celery's registry and published with ``apply_async``: eagerly when
``CELERY_TASK_ALWAYS_EAGER`` is on (tests, embedded runs), and through ``HearthTask``, which stores a
call it cannot publish (broker down) as a ``DeferredTask`` for the republish sweep. Nothing is
queued if the transaction rolls back.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from celery import Task
from django.db import transaction

from config.celery import app

log = logging.getLogger(__name__)


@cache
def _load_task_modules() -> None:
    # Registers every task module (config.celery's ``imports`` and the apps' tasks.py) once.
    app.loader.import_default_modules()


def task_named(name: str) -> Task:
    """The registered task called ``name`` (KeyError for a typo, caught by the tests)."""
    if name not in app.tasks:
        _load_task_modules()
    return app.tasks[name]


def enqueue(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Publish ``task_name(*args, **kwargs)`` now. For work that fans out from a task (a digest
    per member), where there is no write of the caller's to wait for. A failure to publish is
    logged and never stops the caller (eager tasks run inline, so this isolates each one)."""
    _publish(task_named(task_name), task_name, args, kwargs)


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Publish ``task_name(*args, **kwargs)`` once the current transaction commits.

    Outside a transaction it is published at once. Arguments must be JSON-serializable (ids,
    ISO dates), never model instances.
    """
    task = task_named(task_name)  # fail now, inside the caller, if the name is wrong
    transaction.on_commit(lambda: _publish(task, task_name, args, kwargs))


def _publish(task: Task, task_name: str, args: tuple, kwargs: dict) -> None:
    try:
        task.apply_async(args, kwargs)
    except Exception:  # publishing must never break a request or loop that already did its work
        log.exception("could not publish %s", task_name)
