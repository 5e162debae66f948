"""The periodic schedule that keeps the engine and the router converged on the database."""
from django.conf import settings

from hosting.celery import app

app.conf.beat_schedule = {
    "reconcile": {"task": "hosting.reconcile", "schedule": settings.RECONCILE_INTERVAL_SECONDS},
}
