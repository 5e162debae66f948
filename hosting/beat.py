"""The periodic schedule that keeps the engine and the router converged on the database."""
from django.conf import settings

from hosting.celery import app

app.conf.beat_schedule = {
    "reconcile": {"task": "hosting.reconcile", "schedule": settings.RECONCILE_INTERVAL_SECONDS},
    "observe": {"task": "hosting.collect_observations",
                "schedule": settings.RECONCILE_INTERVAL_SECONDS},
    "autoscale": {"task": "hosting.autoscale", "schedule": settings.AUTOSCALE_INTERVAL_SECONDS},
    "sample-metrics": {"task": "hosting.sample_metrics",
                       "schedule": settings.METRICS_INTERVAL_SECONDS},
    "scale-idle": {"task": "hosting.scale_idle",
                   "schedule": min(60.0, max(1.0, settings.SCALE_TO_ZERO_IDLE_SECONDS / 4))},
    # A safety net: a lost sync message only delays the router by this much.
    "sync-router": {"task": "hosting.sync_router", "schedule": 15.0},
}
