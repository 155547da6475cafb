"""Celery tasks of the communities app: thin wrappers over service functions."""

from __future__ import annotations

from celery import shared_task

from communities.services import post_notify


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notify_post(post_id: int, mentions_only: bool = False) -> None:
    post_notify(post_id=post_id, mentions_only=mentions_only)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def build_community_export(export_id: int) -> None:
    from communities.export_services import export_run

    export_run(export_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_community_import(job_id: int) -> None:
    from communities.export_services import import_run

    import_run(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def cleanup_exports() -> None:
    from communities.export_services import exports_cleanup

    exports_cleanup()
