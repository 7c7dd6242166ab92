"""Reads of the licensing part."""

from django.db.models import Q

from .models import LicenseAssignment


def held_license_at(*, pbx_user, license: str, at) -> bool:
    """Did ``pbx_user`` hold ``license`` at the instant ``at``? (The ingest licence check.)"""
    return LicenseAssignment.unscoped.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=at),
        tenant_id=pbx_user.tenant_id, pbx_user=pbx_user, license=license, assigned_at__lte=at,
    ).exists()


def active_licenses(*, pbx_user) -> set[str]:
    return set(
        LicenseAssignment.unscoped.filter(
            tenant_id=pbx_user.tenant_id, pbx_user=pbx_user, revoked_at__isnull=True
        ).values_list("license", flat=True)
    )
