"""Periodic work of the audit part (Celery): signed checkpoints and the retention purge."""

from celery import shared_task


@shared_task
def write_checkpoints():
    """Sign and store the head of every chain that moved since its last checkpoint."""
    from .checkpoints import write_all

    return len(write_all())


@shared_task
def purge_expired_events():
    """Delete each tenant's audit events past its retention, up to a signed checkpoint."""
    from tenancy.models import Tenant

    from .services import purge_expired

    return sum(purge_expired(tenant=tenant) for tenant in Tenant.objects.order_by("pk"))
