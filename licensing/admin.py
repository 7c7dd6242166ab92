"""Provider staff set tenants' licence pools here; assignments are read-only history.

Saves go through the services, so a pool change made here is validated (never below the
licences in use) and audited like one made with ``set_license_pool``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hostedpbx.admin import ReadOnlyAdmin

from . import services
from .exceptions import LicensingError
from .models import LicenseAssignment, LicensePool
from .selectors import pools_with_usage, tenant_today, used_count


class LicensePoolForm(forms.ModelForm):
    class Meta:
        model = LicensePool
        fields = ["tenant", "license", "quantity", "valid_from", "valid_until"]

    def clean(self):
        cleaned = super().clean()
        # On change, tenant and licence are read-only and come from the instance.
        tenant = cleaned.get("tenant") or self.instance.tenant_id
        license = cleaned.get("license") or self.instance.license
        quantity = cleaned.get("quantity")
        if tenant and license and quantity is not None:
            used = used_count(tenant=tenant, license=license)
            if quantity < used:
                self.add_error("quantity", ValidationError(
                    _("%(used)d licences are assigned; revoke some before lowering the quantity.")
                    % {"used": used}, code="quantity_below_used"))
        return cleaned


@admin.register(LicensePool)
class LicensePoolAdmin(admin.ModelAdmin):
    form = LicensePoolForm
    list_display = ["tenant", "license", "quantity", "used", "valid_from", "valid_until",
                    "status"]
    list_filter = ["license", "tenant"]
    search_fields = ["tenant__slug", "tenant__name"]

    def get_queryset(self, request):
        return pools_with_usage(super().get_queryset(request)).select_related("tenant")

    def get_readonly_fields(self, request, obj=None):
        # A pool is identified by tenant and licence; change the quantity or validity only.
        return ["tenant", "license"] if obj else []

    @admin.display(description=_("in use"))
    def used(self, obj):
        return obj.used

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.status_on(tenant_today(obj.tenant))

    def save_model(self, request, obj, form, change):
        pool = services.set_license_pool(
            actor=request.user, tenant=obj.tenant, license=obj.license, quantity=obj.quantity,
            valid_from=obj.valid_from, valid_until=obj.valid_until)
        obj.pk = pool.pk

    def has_delete_permission(self, request, obj=None):
        # Set the quantity to 0 instead: the pool's history stays in the audit trail.
        return False


@admin.register(LicenseAssignment)
class LicenseAssignmentAdmin(ReadOnlyAdmin):
    """History of assignments; read-only, except revoking through the service."""

    list_display = ["pbx_user", "tenant", "license", "assigned_at", "assigned_by", "revoked_at",
                    "revoked_by"]
    list_filter = ["license", "tenant", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["pbx_user__extension", "pbx_user__display_name", "tenant__slug"]
    date_hierarchy = "assigned_at"
    actions = ["revoke_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tenant", "pbx_user")

    @admin.action(description=_("Revoke the selected licences"), permissions=["view"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for assignment in queryset.filter(revoked_at__isnull=True):
            try:
                services.revoke_license(actor=request.user, assignment=assignment,
                                        reason="revoked by provider staff")
                revoked += 1
            except LicensingError as exc:
                messages.error(request, f"{assignment}: {exc.detail}")
        messages.success(request, _("%(n)d licences revoked.") % {"n": revoked})
