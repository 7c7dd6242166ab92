"""Tenant scoping that cannot be forgotten.

Every tenant-owned model inherits :class:`TenantOwnedModel`. Its manager ``objects`` has one
entry point, ``for_actor(actor, tenant)``, which returns only the rows the actor may see in
that one tenant (the tenant is required: an account may belong to several tenants, and a query
without the tenant would widen to all of them);
calling ``objects.all()`` or ``objects.filter()`` raises, so an unscoped read is never written by
accident. The unscoped manager has a loud name, ``unscoped``, and is meant for tasks (which load
through the tenant id they were given), the Django admin, migrations and services that have
already resolved the tenant.

An *actor* is a portal account (``User``), a PBX node (``tenancy.PbxNode``) or ``None``
(anonymous: sees nothing).
"""

from django.db import models
from django.db.models import Q


class ScopingError(RuntimeError):
    """Raised when code reads a tenant-owned model without naming the actor."""


def actor_memberships(actor):
    """The active memberships of a portal account, cached on the user object per request."""
    from tenancy.models import Membership

    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    if not hasattr(actor, "pk") or getattr(actor, "is_pbx_node", False):
        return []
    cached = getattr(actor, "_hostedpbx_memberships", None)
    if cached is None:
        cached = list(
            Membership.unscoped.filter(user_id=actor.pk, tenant__status="active")
            .select_related("tenant", "pbx_user")
            .order_by("tenant__name")
        )
        actor._hostedpbx_memberships = cached
    return cached


def membership_for(actor, tenant):
    """The actor's membership in ``tenant`` (a Tenant or its id), or ``None``."""
    tenant_id = getattr(tenant, "pk", tenant)
    for membership in actor_memberships(actor):
        if membership.tenant_id == tenant_id:
            return membership
    return None


def resolve_tenant(actor, slug):
    """``(tenant, membership)`` for the ``<tenant_slug>`` of a URL, or ``None`` unless the actor
    is an active member. The one implementation behind the page and the API base classes."""
    from tenancy.models import Tenant

    if not slug:
        return None
    tenant = Tenant.objects.filter(slug=slug).first()
    membership = membership_for(actor, tenant) if tenant else None
    if membership is None:
        return None
    return tenant, membership


class TenantQuerySet(models.QuerySet):
    def visible_q(self, membership):
        """Rows of ``membership.tenant`` that this membership's role may see.

        Override in a subclass to narrow by role (e.g. a member sees only their own
        recordings). The default: every row of the tenant.
        """
        return Q(tenant_id=membership.tenant_id)

    def for_actor(self, actor, tenant):
        """Rows of ``tenant`` (a Tenant or its id) the actor may see; empty when none.

        The tenant is required and never ``None``: the page or API view resolved it from the
        URL, a task from the row it was given.
        """
        if tenant is None or tenant == "":
            raise ScopingError("for_actor(actor, tenant) needs the tenant the request is about.")
        tenant_id = getattr(tenant, "pk", tenant)
        qs = self.filter(tenant_id=tenant_id)
        if actor is None:
            return qs.none()
        if getattr(actor, "is_pbx_node", False):
            return qs if actor.tenant_id == tenant_id else qs.none()
        membership = membership_for(actor, tenant_id)
        if membership is None:
            return qs.none()
        return qs.filter(self.visible_q(membership))


class ScopedManager(models.Manager):
    """``objects``: only ``for_actor`` is allowed; everything else must say ``unscoped``."""

    def get_queryset(self):
        raise ScopingError(
            f"{self.model.__name__}.objects must be entered through .for_actor(actor, tenant); "
            f"use {self.model.__name__}.unscoped in tasks, admin and services that have "
            "resolved the tenant already."
        )

    def for_actor(self, actor, tenant):
        return self._queryset_class(self.model, using=self._db).for_actor(actor, tenant)

    def none(self):
        # Harmless (it can reveal nothing); schema generators and filter sets ask for it.
        return self._queryset_class(self.model, using=self._db).none()


class TenantOwnedModel(models.Model):
    """Abstract base: a non-null tenant and the two managers described above."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")

    unscoped = TenantQuerySet.as_manager()
    objects = ScopedManager.from_queryset(TenantQuerySet)()

    class Meta:
        abstract = True
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"


def scoped_managers(queryset_class):
    """``(unscoped, objects)`` managers for a model with its own TenantQuerySet subclass."""
    return queryset_class.as_manager(), ScopedManager.from_queryset(queryset_class)()
