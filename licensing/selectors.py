"""Reads of the licensing part.

``held_license_at`` and ``active_licenses`` answer from the assignments alone (what a user
*holds*); the effective policy (``policy_for`` / ``policies_for``) also requires the tenant's
pool of that licence to be valid today, because an expired pool counts as zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from tenancy import permissions
from tenancy.models import PbxUser

from .choices import LICENSE_DESCRIPTIONS, LICENSE_SHORT_NAMES, License, PoolStatus
from .models import LicenseAssignment, LicensePool
from .policy import SUPERVISOR_SOURCES, Policy, derive_policy

EXPIRY_WARNING_DAYS = 30


def held_license_at(*, pbx_user, license: str, at) -> bool:
    """Did ``pbx_user`` hold ``license`` at the instant ``at``? (The ingest licence check.)"""
    return LicenseAssignment.unscoped.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=at),
        tenant_id=pbx_user.tenant_id, pbx_user=pbx_user, license=license, assigned_at__lte=at,
    ).exists()


def active_licenses(*, pbx_user) -> set[str]:
    """The licences ``pbx_user`` holds now (open assignments), whatever the pools' validity."""
    return set(
        LicenseAssignment.unscoped.filter(
            tenant_id=pbx_user.tenant_id, pbx_user=pbx_user, revoked_at__isnull=True
        ).values_list("license", flat=True)
    )


def tenant_today(tenant) -> date:
    """Today's date in the tenant's time zone (pool validity is by calendar day)."""
    try:
        zone = ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        zone = timezone.get_default_timezone()
    return timezone.localdate(timezone=zone)


# --- pools ----------------------------------------------------------------------------------
def used_subquery():
    """Open assignments of the pool's tenant and licence, for ``.annotate(used=...)``."""
    open_assignments = (
        LicenseAssignment.unscoped.filter(
            tenant_id=OuterRef("tenant_id"), license=OuterRef("license"), revoked_at__isnull=True
        )
        .order_by()
        .values("tenant_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(open_assignments, output_field=IntegerField()), 0)


def pools_with_usage(queryset):
    return queryset.annotate(used=used_subquery()).order_by("license")


@dataclass(frozen=True)
class PoolUsage:
    """One licence type of a tenant as the menu and the API present it."""

    license: str
    pool: LicensePool | None
    used: int
    today: date

    @property
    def label(self):
        return LICENSE_SHORT_NAMES[self.license]

    @property
    def long_label(self):
        return License(self.license).label

    @property
    def description(self):
        return LICENSE_DESCRIPTIONS[self.license]

    @property
    def quantity(self) -> int:
        return self.pool.quantity if self.pool else 0

    @property
    def valid_from(self):
        return self.pool.valid_from if self.pool else None

    @property
    def valid_until(self):
        return self.pool.valid_until if self.pool else None

    @property
    def status(self) -> str:
        return self.pool.status_on(self.today) if self.pool else PoolStatus.MISSING

    @property
    def status_label(self):
        return PoolStatus(self.status).label

    @property
    def effective_quantity(self) -> int:
        return self.pool.effective_quantity_on(self.today) if self.pool else 0

    @property
    def available(self) -> int:
        return max(0, self.effective_quantity - self.used)

    @property
    def uncovered(self) -> int:
        """Assignments beyond what the pool allows today (an expired pool): they have no effect."""
        return max(0, self.used - self.effective_quantity)

    @property
    def percent_used(self) -> int:
        if self.effective_quantity == 0:
            return 100 if self.used else 0
        return min(100, round(100 * self.used / self.effective_quantity))

    @property
    def expires_in_days(self) -> int | None:
        if self.valid_until is None or self.status != PoolStatus.VALID:
            return None
        return (self.valid_until - self.today).days

    @property
    def expiring_soon(self) -> bool:
        days = self.expires_in_days
        return days is not None and days <= EXPIRY_WARNING_DAYS


def pool_usage(*, tenant, today: date | None = None) -> list[PoolUsage]:
    """Both licence types of ``tenant`` (a missing pool shows as zero), in a single query."""
    today = today or tenant_today(tenant)
    pools = {p.license: p for p in pools_with_usage(LicensePool.unscoped.filter(tenant=tenant))}
    used = {lic: pool.used for lic, pool in pools.items()}
    missing = [lic for lic in License.values if lic not in pools]
    if missing:
        # Assignments can outlive a pool row only through direct database edits; count them
        # anyway so the page never hides a held licence.
        used.update(
            LicenseAssignment.unscoped.filter(tenant=tenant, license__in=missing,
                                              revoked_at__isnull=True)
            .order_by().values("license").annotate(n=Count("id")).values_list("license", "n")
        )
    return [PoolUsage(license=lic, pool=pools.get(lic), used=used.get(lic, 0), today=today)
            for lic in License.values]


def used_count(*, tenant, license: str) -> int:
    return LicenseAssignment.unscoped.filter(
        tenant=tenant, license=license, revoked_at__isnull=True
    ).count()


# --- assignments ----------------------------------------------------------------------------
def assignments_for_actor(*, actor, tenant, active: bool | None = True, extension: str = "",
                          license: str = ""):
    """Assignments the actor may see, newest first; ``active=None`` means open and revoked."""
    qs = LicenseAssignment.objects.for_actor(actor, tenant).select_related("pbx_user")
    if active is True:
        qs = qs.filter(revoked_at__isnull=True)
    elif active is False:
        qs = qs.filter(revoked_at__isnull=False)
    if extension:
        qs = qs.filter(pbx_user__extension=str(extension))
    if license:
        qs = qs.filter(license=license)
    return qs.order_by("-assigned_at", "-id")


def access_assignment(*, actor, tenant, assignment_id) -> LicenseAssignment:
    """An assignment the actor may see; 404 for another tenant's and for a hidden one."""
    try:
        assignment_id = int(assignment_id)
    except (TypeError, ValueError):
        raise Http404("No such licence assignment.")
    assignment = (LicenseAssignment.objects.for_actor(actor, tenant)
                  .select_related("pbx_user").filter(pk=assignment_id).first())
    if assignment is None:
        raise Http404("No such licence assignment.")
    return assignment


def history_of(*, pbx_user):
    return (LicenseAssignment.unscoped.filter(tenant_id=pbx_user.tenant_id, pbx_user=pbx_user)
            .order_by("-assigned_at", "-id"))


def open_assignments_by_user(*, tenant, pbx_user_ids=None) -> dict[int, dict]:
    """``{pbx_user_id: {license: open assignment}}`` in one query."""
    qs = LicenseAssignment.unscoped.filter(tenant=tenant, revoked_at__isnull=True)
    if pbx_user_ids is not None:
        qs = qs.filter(pbx_user_id__in=list(pbx_user_ids))
    out: dict[int, dict[str, LicenseAssignment]] = {}
    for assignment in qs:
        out.setdefault(assignment.pbx_user_id, {})[assignment.license] = assignment
    return out


# --- the effective policy -------------------------------------------------------------------
def access_pbx_user_for_policy(*, actor, tenant, extension) -> PbxUser:
    """A PBX user whose policy the actor may read: everyone of the tenant for admins,
    compliance officers and supervisors; a member only their own extension. 404 otherwise."""
    from hostedpbx.scoping import membership_for

    qs = PbxUser.objects.for_actor(actor, tenant).filter(extension=str(extension))
    membership = None if getattr(actor, "is_pbx_node", False) else membership_for(actor, tenant)
    if permissions.sees_own_extension_only(membership):
        qs = qs.filter(pk=membership.pbx_user_id)
    user = qs.first()
    if user is None:
        raise Http404("No such PBX user.")
    return user


def configured_supervisors(pbx_users: list) -> dict[int, set[str]]:
    """The union of every registered supervisor source (see ``policy.SUPERVISOR_SOURCES``)."""
    out: dict[int, set[str]] = {user.pk: set() for user in pbx_users}
    if not pbx_users:
        return out
    for source in SUPERVISOR_SOURCES:
        for user_id, extensions in (source(pbx_users) or {}).items():
            if user_id in out:
                out[user_id].update(str(ext) for ext in extensions)
    return out


def policies_for(*, tenant, pbx_users, today: date | None = None) -> dict[int, Policy]:
    """``{pbx_user_id: Policy}`` for PBX users of one tenant, in a constant number of queries."""
    pbx_users = list(pbx_users)
    today = today or tenant_today(tenant)
    valid = {p.license for p in LicensePool.unscoped.filter(tenant=tenant)
             if p.status_on(today) == PoolStatus.VALID}
    held = open_assignments_by_user(tenant=tenant, pbx_user_ids=[u.pk for u in pbx_users])
    supervisors = configured_supervisors(pbx_users)
    policies = {}
    for user in pbx_users:
        licenses = set(held.get(user.pk, {}))
        policies[user.pk] = derive_policy(
            licenses=licenses & valid,
            lapsed=licenses - valid,
            client_type=user.client_type,
            record_all_calls=user.record_all_calls,
            attention_tone=user.attention_tone,
            supervisors=supervisors[user.pk],
            active=user.is_active,
        )
    return policies


def policy_for(*, pbx_user, today: date | None = None) -> Policy:
    """The effective policy of one PBX user now (what the PBX is told)."""
    return policies_for(tenant=pbx_user.tenant, pbx_users=[pbx_user], today=today)[pbx_user.pk]


def policy_body(*, pbx_user, today: date | None = None) -> dict:
    """The policy as served by ``pbx-users/<extension>/policy/`` and the PBX API."""
    return policy_for(pbx_user=pbx_user, today=today).as_dict(
        extension=pbx_user.extension, display_name=pbx_user.display_name)
