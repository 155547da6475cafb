"""Celery tasks of the communities app: thin wrappers over service functions."""

from __future__ import annotations

from celery import shared_task

from communities.portability.services import export_run, exports_cleanup, import_run


@shared_task(
    name="communities.tasks.build_community_export",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def build_community_export(export_id: int) -> None:

    export_run(export_id)


@shared_task(
    name="communities.tasks.run_community_import",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_community_import(job_id: int) -> None:

    import_run(job_id)


@shared_task(
    name="communities.tasks.cleanup_exports", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def cleanup_exports() -> None:

    exports_cleanup()
