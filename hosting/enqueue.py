"""The one place that sends Celery tasks: always after the current transaction commits.

A worker reads the rows a task names, so a message sent before the commit could find
nothing (or the old state). Domain code calls these functions instead of importing
`hosting.tasks`, which keeps domain → tasks → orchestration → domain free of cycles:
`hosting.tasks` is imported here only when a message is actually sent.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction


def after_commit(task_name: str, *args, eta: datetime | None = None) -> None:
    """Send `hosting.tasks.<task_name>(*args)` once the transaction commits (at once
    outside one); with `eta`, the worker runs it no earlier than that."""

    def send() -> None:
        from hosting import tasks

        task = getattr(tasks, task_name)
        if eta is None:
            task.delay(*args)
        else:
            task.apply_async(args=args, eta=eta)

    transaction.on_commit(send)


def deploy(version_id: int, eta: datetime | None = None) -> None:
    after_commit("deploy_version", version_id, eta=eta)


def delete(version_id: int) -> None:
    after_commit("delete_version", version_id)


def converge(version_id: int, eta: datetime | None = None) -> None:
    after_commit("converge_version", version_id, eta=eta)


def sync_router() -> None:
    after_commit("sync_router")
