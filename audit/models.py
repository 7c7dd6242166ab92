"""The append-only, hash-chained audit trail (one chain per tenant, one for the provider)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostedpbx.scoping import TenantOwnedModel, TenantQuerySet, scoped_managers

GENESIS_HASH = "0" * 64
PROVIDER_CHAIN = "provider"


def chain_key(tenant_id):
    return f"t{tenant_id}" if tenant_id else PROVIDER_CHAIN


class ActorType(models.TextChoices):
    USER = "user", _("portal account")
    PBX_NODE = "pbx_node", _("PBX node")
    SYSTEM = "system", _("system")
    ANONYMOUS = "anonymous", _("anonymous")


class AuditEventQuerySet(TenantQuerySet):
    def visible_q(self, membership):
        # The trail is for admins and compliance officers; others see only their own actions.
        from tenancy.permissions import may_review_audit

        if may_review_audit(membership):
            return Q(tenant_id=membership.tenant_id)
        return Q(tenant_id=membership.tenant_id, actor_type="user",
                 actor_id=str(membership.user_id))


class AuditEvent(models.Model):
    """One event. Never updated or deleted (a database trigger refuses it on PostgreSQL).

    ``hash`` is SHA-256 over the canonical encoding of every other field, which includes
    ``prev_hash``, the hash of the event before it in the same chain (see ``audit.chain``).
    """

    chain = models.CharField(max_length=32, db_index=False)
    seq = models.BigIntegerField()
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=128, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    unscoped, objects = scoped_managers(AuditEventQuerySet)

    class Meta:
        ordering = ["chain", "seq"]
        default_manager_name = "unscoped"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"],
                                    name="%(app_label)s_%(class)s_chain_seq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="audit_event_tenant_time"),
            models.Index(fields=["tenant", "object_type", "object_id"], name="audit_event_object"),
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The last sequence number and hash of each chain: the lock writers serialise on.

    Verification compares the last event against it, so a deleted tail is detected too.
    """

    chain = models.CharField(max_length=32, primary_key=True)
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The first event still kept: 1, or the event after the last purged one (audit retention).
    first_seq = models.BigIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.chain} @ {self.last_seq}"


class AuditCheckpoint(models.Model):
    """A signed statement "chain C had event S with hash H", as written to storage.

    The stored object (``storage_key``) is the authority: verification reads checkpoints from
    storage, not from this table, which only lists what was written (for the menu and purging).
    """

    chain = models.CharField(max_length=32)
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    public_key = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"],
                                    name="%(app_label)s_%(class)s_chain_seq"),
        ]

    def __str__(self):
        return f"{self.chain}@{self.seq}"


class ComplianceSettings(TenantOwnedModel):
    """A tenant's compliance options (one row per tenant, created on demand)."""

    regulated = models.BooleanField(
        _("regulated firm (MiFID II)"), default=False,
        help_text=_("Keeps audit events at least five years."))
    audit_retention_days = models.PositiveIntegerField(
        _("keep audit events (days)"), default=3653)
    require_2fa_for_all = models.BooleanField(
        _("two-factor login for every account"), default=False,
        help_text=_("Admins and compliance officers always need it."))

    class Meta:
        verbose_name = _("compliance settings")
        verbose_name_plural = _("compliance settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="%(app_label)s_%(class)s_tenant"),
        ]

    def __str__(self):
        return f"compliance settings of {self.tenant_id}"
