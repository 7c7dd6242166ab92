"""Licence pools a tenant bought and the assignments of licences to PBX users (with history)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostedpbx.scoping import TenantOwnedModel, TenantQuerySet, scoped_managers
from tenancy import permissions

from .choices import License, PoolStatus


class LicensePool(TenantOwnedModel):
    """How many licences of one type a tenant may assign, and when. Expired counts as zero."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT,
                               related_name="license_pools")
    license = models.CharField(_("licence"), max_length=16, choices=License.choices)
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "license"]
        verbose_name = _("licence pool")
        verbose_name_plural = _("licence pools")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "license"],
                                    name="%(app_label)s_%(class)s_unique_license"),
            models.CheckConstraint(condition=Q(license__in=License.values),
                                   name="%(app_label)s_%(class)s_license_valid"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_validity_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.tenant.slug}: {self.license} × {self.quantity}"

    def status_on(self, day) -> str:
        """``valid``, ``expired`` or ``not_yet_valid`` on ``day`` (both bounds inclusive)."""
        if self.valid_from is not None and day < self.valid_from:
            return PoolStatus.NOT_YET_VALID
        if self.valid_until is not None and day > self.valid_until:
            return PoolStatus.EXPIRED
        return PoolStatus.VALID

    def effective_quantity_on(self, day) -> int:
        """What may be assigned on ``day``: the quantity while valid, zero otherwise."""
        return self.quantity if self.status_on(day) == PoolStatus.VALID else 0


class LicenseAssignmentQuerySet(TenantQuerySet):
    def visible_q(self, membership):
        # Admins, compliance officers and supervisors see every assignment of the tenant; a
        # member (agent) sees only the licences of their own extension.
        if permissions.sees_own_extension_only(membership):
            return Q(tenant_id=membership.tenant_id, pbx_user_id=membership.pbx_user_id)
        return Q(tenant_id=membership.tenant_id)


class LicenseAssignment(TenantOwnedModel):
    """One licence held by one PBX user from ``assigned_at`` until ``revoked_at`` (history).

    At most one open assignment per user and licence (a partial unique constraint).
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT,
                               related_name="license_assignments")
    pbx_user = models.ForeignKey("tenancy.PbxUser", on_delete=models.PROTECT,
                                 related_name="license_assignments")
    license = models.CharField(_("licence"), max_length=16, choices=License.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.CharField(_("assigned by"), max_length=200, blank=True)
    assign_reason = models.CharField(_("reason"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=200, blank=True)
    revoke_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)

    # ``unscoped`` is declared first, so it stays the default (and base) manager.
    unscoped, objects = scoped_managers(LicenseAssignmentQuerySet)

    class Meta:
        ordering = ["tenant", "pbx_user", "-assigned_at"]
        verbose_name = _("licence assignment")
        verbose_name_plural = _("licence assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["pbx_user", "license"], condition=Q(revoked_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_user",
            ),
            models.CheckConstraint(condition=Q(license__in=License.values),
                                   name="%(app_label)s_%(class)s_license_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "license", "revoked_at"],
                         name="licensing_assign_open"),
        ]

    def __str__(self):
        return f"{self.pbx_user} {self.license}"

    @property
    def is_active(self):
        return self.revoked_at is None
