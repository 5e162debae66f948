"""A deleted tenant's engine objects (network, firewall chain) go with it.

Tenants are deleted from the admin (a cascade, not a domain function), so a signal is
the one place every deletion passes; the worker does the engine work after commit.
"""
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from hosting.models import Tenant


@receiver(post_delete, sender=Tenant, dispatch_uid="hosting.remove_tenant_runtime")
def remove_tenant_runtime(sender, instance: Tenant, **kwargs) -> None:
    from hosting import tasks

    tenant_id = instance.pk
    transaction.on_commit(lambda: tasks.remove_tenant.delay(tenant_id))
