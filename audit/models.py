"""The append-only, hash-chained audit trail (one chain per tenant, one for the provider)."""

from django.db import DEFAULT_DB_ALIAS, connections, models
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


# The PostgreSQL constraint trigger that chains staged events at commit (migration 0005).
CHAIN_TRIGGER = "audit_pending_chain"


def chain_staged_events(using: str = DEFAULT_DB_ALIAS) -> None:
    """Chain the events this transaction has staged so far, now instead of at its commit.

    On PostgreSQL ``audit.record`` stages an event and a deferred trigger chains it when the
    transaction commits (``audit.chain``). A transaction that reads the trail after writing to
    it must see its own events chained: every query of the trail calls this first. It costs
    nothing when the transaction staged nothing.
    """
    conn = connections[using]
    if not getattr(conn, "audit_staged", False):
        return
    conn.audit_staged = False
    if conn.in_atomic_block:
        with conn.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {CHAIN_TRIGGER} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {CHAIN_TRIGGER} DEFERRED")


class ChainsStagedQuerySet(models.QuerySet):
    """A queryset of the trail: sees this transaction's own staged events chained."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chain_staged_events(self._db or DEFAULT_DB_ALIAS)


class AuditEventQuerySet(ChainsStagedQuerySet, TenantQuerySet):
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
    # Few indexes: each one is written by every append. The composite ones below start with the
    # tenant, which every query of the trail filters on.
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    occurred_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
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
            models.Index(fields=["tenant", "action"], name="audit_event_tenant_action"),
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

    objects = ChainsStagedQuerySet.as_manager()

    def __str__(self):
        return f"{self.chain} @ {self.last_seq}"


class StagedAuditEvent(models.Model):
    """An event recorded by a transaction that has not committed yet (PostgreSQL only).

    ``audit.record`` inserts here without taking the chain's lock; the deferred constraint
    trigger ``audit_pending_chain`` (migration 0005) runs at the transaction's commit, locks the
    chain head, computes ``seq``, ``prev_hash`` and ``hash`` (``canonical_head`` is the event's
    canonical encoding up to ``prev_hash``), inserts the ``AuditEvent`` under the same ``id``
    and deletes this row. No committed transaction leaves a row here.
    """

    id = models.BigIntegerField(primary_key=True)  # drawn from AuditEvent's id sequence
    chain = models.CharField(max_length=32)
    tenant_id = models.BigIntegerField(null=True)
    occurred_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=128, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    canonical_head = models.TextField()

    def __str__(self):
        return f"{self.chain} (staged) {self.action}"


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
