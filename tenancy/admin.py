"""Provider staff manage tenants, nodes, PBX users and memberships here.

Saves go through the services, so every change is audited like one made in the menu.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

import audit

from . import services
from .forms import PortalAdminAuthenticationForm
from .models import Invitation, Membership, PbxNode, PbxUser, Tenant

# The admin's login goes through the portal's sign-in: throttled and audited alike.
admin.site.login_form = PortalAdminAuthenticationForm


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for each admin save/delete in the same transaction."""

    def _tenant_of(self, obj):
        return obj if isinstance(obj, Tenant) else getattr(obj, "tenant_id", None)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(actor=request.user, tenant=self._tenant_of(obj),
                         action=f"{obj._meta.model_name}.{'updated' if change else 'created'}",
                         obj=obj, data={"changed": form.changed_data, "via": "admin"})

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(actor=request.user, tenant=self._tenant_of(obj),
                         action=f"{obj._meta.model_name}.deleted", obj=obj,
                         data={"repr": str(obj), "via": "admin"})
            super().delete_model(request, obj)


@admin.register(Tenant)
class TenantAdmin(AuditedAdmin):
    list_display = ["slug", "name", "status", "locale", "timezone", "created_at"]
    list_filter = ["status"]
    search_fields = ["slug", "name"]


@admin.register(PbxNode)
class PbxNodeAdmin(AuditedAdmin):
    list_display = ["name", "tenant", "token_prefix", "is_active", "last_seen_at"]
    list_filter = ["tenant", "is_active"]
    readonly_fields = ["token_prefix", "last_seen_at"]
    actions = ["rotate_token"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        node, token = services.create_pbx_node(actor=request.user, tenant=obj.tenant,
                                               name=obj.name)
        obj.pk = node.pk
        messages.warning(request, f"API token of {node}: {token} (shown only now)")

    @admin.action(description="Rotate the API token (shows the new one once)")
    def rotate_token(self, request, queryset):
        for node in queryset:
            token = services.rotate_pbx_node_token(actor=request.user, node=node)
            messages.warning(request, f"New API token of {node}: {token} (shown only now)")


class ServiceFormMixin:
    """Runs the service in the form's validation, so its refusals show on the form and a
    refused save writes nothing (the service's transaction holds the write and its audit)."""

    service_error_field = None

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.instance = self.save_through_service(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)

    def save(self, commit=True):
        return self.instance

    def save_m2m(self):
        pass


class PbxUserAdminForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = PbxUser
        fields = ["tenant", "extension", "display_name", "email", "client_type",
                  "record_all_calls", "attention_tone", "is_active"]

    def save_through_service(self, obj):
        if obj.pk is None:
            data = {k: self.cleaned_data[k] for k in self.Meta.fields
                    if k not in ("tenant", "extension")}
            return services.create_pbx_user(actor=self.actor, tenant=obj.tenant,
                                            extension=obj.extension, **data)
        original = PbxUser.unscoped.get(pk=obj.pk)
        if obj.extension != original.extension or obj.tenant_id != original.tenant_id:
            raise ValidationError({"extension": ValidationError(
                "The extension and tenant of a PBX user cannot change.", code="immutable")})
        changes = {k: self.cleaned_data[k] for k in services.PBX_USER_FIELDS
                   if k in self.changed_data}
        return services.update_pbx_user(actor=self.actor, pbx_user=original, **changes)


class MembershipAdminForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["tenant", "user", "role", "pbx_user"]

    def save_through_service(self, obj):
        if obj.pk is None:
            return services.create_portal_user(
                actor=self.actor, tenant=obj.tenant, username=obj.user.get_username(),
                password=None, role=obj.role, pbx_user=obj.pbx_user)
        original = Membership.unscoped.get(pk=obj.pk)
        if obj.tenant_id != original.tenant_id or obj.user_id != original.user_id:
            raise ValidationError("A membership's tenant and account cannot change.",
                                  code="immutable")
        return services.update_membership(actor=self.actor, membership=original,
                                          role=obj.role, pbx_user=obj.pbx_user)


class ServiceAdmin(AuditedAdmin):
    """Saves through the part's services (same checks, hooks and audit as the menu)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        pass  # saved by the service during validation

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(PbxUser)
class PbxUserAdmin(ServiceAdmin):
    form = PbxUserAdminForm
    list_display = ["extension", "display_name", "tenant", "client_type", "record_all_calls",
                    "is_active"]
    list_filter = ["tenant", "client_type", "is_active"]
    search_fields = ["extension", "display_name", "email"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: recordings and licences refer to it


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    form = MembershipAdminForm
    list_display = ["user", "tenant", "role", "pbx_user"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username"]
    raw_id_fields = ["pbx_user"]

    def delete_model(self, request, obj):
        services.remove_membership(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.remove_membership(actor=request.user, membership=membership)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only for provider staff: invitations are made, answered and revoked in the menu
    (through the services, audited)."""

    list_display = ["username", "tenant", "role", "created_at", "expires_at", "accepted_at",
                    "declined_at", "revoked_at"]
    list_filter = ["tenant", "role"]
    search_fields = ["username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
