"""Thin Celery tasks: each takes ids, re-reads the database and calls a domain function.

Every function they call is idempotent, so a task run twice (acks_late after a worker
died) or a message lost (the reconcile pass picks the work up) is harmless. No task
waits: a deploy or a convergence that is not finished answers when to look again and
the task schedules itself for then (queues: settings.CELERY_TASK_ROUTES).
"""
from celery import shared_task

from hosting import enqueue


@shared_task(name="hosting.deploy_version")
def deploy_version(version_id: int) -> None:
    from hosting.orchestration import deploy

    later = deploy.deploy(version_id)
    if later is not None:
        enqueue.deploy(version_id, eta=later)


@shared_task(name="hosting.delete_version")
def delete_version(version_id: int) -> None:
    from hosting.orchestration import deploy

    deploy.remove(version_id)


@shared_task(name="hosting.reconcile")
def reconcile() -> None:
    from hosting.orchestration import reconcile as reconcile_module

    reconcile_module.reconcile_all()


@shared_task(name="hosting.converge_version")
def converge_version(version_id: int) -> None:
    from hosting.orchestration import reconcile as reconcile_module

    later = reconcile_module.converge(version_id)
    if later is not None:
        enqueue.converge(version_id, eta=later)


@shared_task(name="hosting.collect_observations")
def collect_observations() -> None:
    from hosting.orchestration import observe

    observe.collect()


@shared_task(name="hosting.sync_router")
def sync_router() -> None:
    from hosting import router

    router.sync()


@shared_task(name="hosting.autoscale")
def autoscale() -> None:
    from hosting.autoscale import tick

    tick.autoscale_all()


@shared_task(name="hosting.sample_metrics")
def sample_metrics() -> None:
    from hosting.router import metrics

    metrics.sample()


@shared_task(name="hosting.scale_idle")
def scale_idle() -> None:
    """Sample first, so a request in the last few seconds still counts as activity."""
    from hosting.autoscale import idle
    from hosting.router import metrics

    metrics.sample()
    idle.scale_idle_to_zero()
